package org.parley.server;

import java.time.Duration;
import org.parley.server.limits.Rates;

/**
 * Every bound of DESIGN.md §11 in one place, so each can be named in an error and tuned in tests.
 *
 * @param maxFrameBytes largest WebSocket message accepted; larger ones close the socket (1009)
 * @param maxEnvelopeBytes largest ciphertext in one envelope
 * @param maxEnvelopesPerRequest envelopes one send request may carry
 * @param maxQueueLength envelopes waiting for one device; a send that would pass it is refused
 * @param maxQueueBytes bytes of envelopes waiting for one device; a send that would pass it is refused
 * @param maxOneTimeKeysPerUpload one-time pre-keys of each kind in one upload
 * @param maxStoredOneTimeKeys one-time pre-keys of each kind a device may hold on the server
 * @param lowPreKeyThreshold below this many one-time keys, the owner is told to upload more
 * @param deliveryWindow envelopes pushed to a device and not yet acked
 * @param codeTtl how long a verification code is good for
 * @param maxCodeAttempts wrong guesses of one code before it is void (the daily budget across codes is a rate)
 * @param linkTokenTtl how long a link token is good for
 * @param provisioningTtl how long a provisioning socket (a QR code) stays open
 * @param maxGroupMembers members of one group
 * @param maxUnwrittenBytes output a connection may have waiting for a slow reader before it stops reading requests
 * @param maxConnections connections at once; 0: the open-files limit less a reserve for the store and blobs
 * @param maxUnauthenticatedConnections connections without a device's credentials at once; 0: half of maxConnections. Past it one from the most crowded address is closed
 * @param maxUnauthenticatedPerAddress connections without credentials from one client address (an IPv6 /64) at once
 * @param unauthenticatedTimeout how long a connection without credentials may stay open before it is closed
 * @param rates every token bucket (see Rates)
 *
 * <p>Bounds on blobs are in {@link org.parley.server.blobs.BlobLimits}.
 */
public record Limits(
    int maxFrameBytes,
    int maxEnvelopeBytes,
    int maxEnvelopesPerRequest,
    long maxQueueLength,
    long maxQueueBytes,
    int maxOneTimeKeysPerUpload,
    int maxStoredOneTimeKeys,
    int lowPreKeyThreshold,
    int deliveryWindow,
    Duration codeTtl,
    int maxCodeAttempts,
    Duration linkTokenTtl,
    Duration provisioningTtl,
    int maxGroupMembers,
    int maxUnwrittenBytes,
    int maxConnections,
    int maxUnauthenticatedConnections,
    int maxUnauthenticatedPerAddress,
    Duration unauthenticatedTimeout,
    Rates rates) {

  public static Limits defaults() {
    return new Limits(
        2 * 1024 * 1024,
        256 * 1024,
        1024,
        100_000,
        256L * 1024 * 1024,
        200,
        1000,
        10,
        256,
        Duration.ofMinutes(10),
        5,
        Duration.ofMinutes(5),
        Duration.ofSeconds(60),
        1024,
        1024 * 1024,
        0,
        0,
        32,
        Duration.ofSeconds(10),
        Rates.defaults());
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes a few bounds of an existing set (tests, benchmarks, command-line options). */
  public static final class Builder {
    private int maxFrameBytes;
    private int maxEnvelopeBytes;
    private int maxEnvelopesPerRequest;
    private long maxQueueLength;
    private long maxQueueBytes;
    private int maxOneTimeKeysPerUpload;
    private int maxStoredOneTimeKeys;
    private int lowPreKeyThreshold;
    private int deliveryWindow;
    private Duration codeTtl;
    private int maxCodeAttempts;
    private Duration linkTokenTtl;
    private Duration provisioningTtl;
    private int maxGroupMembers;
    private int maxUnwrittenBytes;
    private int maxConnections;
    private int maxUnauthenticatedConnections;
    private int maxUnauthenticatedPerAddress;
    private Duration unauthenticatedTimeout;
    private Rates rates;

    private Builder(Limits from) {
      maxFrameBytes = from.maxFrameBytes;
      maxEnvelopeBytes = from.maxEnvelopeBytes;
      maxEnvelopesPerRequest = from.maxEnvelopesPerRequest;
      maxQueueLength = from.maxQueueLength;
      maxQueueBytes = from.maxQueueBytes;
      maxOneTimeKeysPerUpload = from.maxOneTimeKeysPerUpload;
      maxStoredOneTimeKeys = from.maxStoredOneTimeKeys;
      lowPreKeyThreshold = from.lowPreKeyThreshold;
      deliveryWindow = from.deliveryWindow;
      codeTtl = from.codeTtl;
      maxCodeAttempts = from.maxCodeAttempts;
      linkTokenTtl = from.linkTokenTtl;
      provisioningTtl = from.provisioningTtl;
      maxGroupMembers = from.maxGroupMembers;
      maxUnwrittenBytes = from.maxUnwrittenBytes;
      maxConnections = from.maxConnections;
      maxUnauthenticatedConnections = from.maxUnauthenticatedConnections;
      maxUnauthenticatedPerAddress = from.maxUnauthenticatedPerAddress;
      unauthenticatedTimeout = from.unauthenticatedTimeout;
      rates = from.rates;
    }

    public Builder maxFrameBytes(int value) {
      maxFrameBytes = value;
      return this;
    }

    public Builder maxEnvelopeBytes(int value) {
      maxEnvelopeBytes = value;
      return this;
    }

    public Builder maxEnvelopesPerRequest(int value) {
      maxEnvelopesPerRequest = value;
      return this;
    }

    public Builder maxQueueLength(long value) {
      maxQueueLength = value;
      return this;
    }

    public Builder maxQueueBytes(long value) {
      maxQueueBytes = value;
      return this;
    }

    public Builder maxOneTimeKeysPerUpload(int value) {
      maxOneTimeKeysPerUpload = value;
      return this;
    }

    public Builder maxStoredOneTimeKeys(int value) {
      maxStoredOneTimeKeys = value;
      return this;
    }

    public Builder lowPreKeyThreshold(int value) {
      lowPreKeyThreshold = value;
      return this;
    }

    public Builder deliveryWindow(int value) {
      deliveryWindow = value;
      return this;
    }

    public Builder codeTtl(Duration value) {
      codeTtl = value;
      return this;
    }

    public Builder maxCodeAttempts(int value) {
      maxCodeAttempts = value;
      return this;
    }

    public Builder linkTokenTtl(Duration value) {
      linkTokenTtl = value;
      return this;
    }

    public Builder provisioningTtl(Duration value) {
      provisioningTtl = value;
      return this;
    }

    public Builder maxGroupMembers(int value) {
      maxGroupMembers = value;
      return this;
    }

    public Builder maxUnwrittenBytes(int value) {
      maxUnwrittenBytes = value;
      return this;
    }

    public Builder maxConnections(int value) {
      maxConnections = value;
      return this;
    }

    public Builder maxUnauthenticatedConnections(int value) {
      maxUnauthenticatedConnections = value;
      return this;
    }

    public Builder maxUnauthenticatedPerAddress(int value) {
      maxUnauthenticatedPerAddress = value;
      return this;
    }

    public Builder unauthenticatedTimeout(Duration value) {
      unauthenticatedTimeout = value;
      return this;
    }

    public Builder rates(Rates value) {
      rates = value;
      return this;
    }

    public Limits build() {
      return new Limits(
          maxFrameBytes,
          maxEnvelopeBytes,
          maxEnvelopesPerRequest,
          maxQueueLength,
          maxQueueBytes,
          maxOneTimeKeysPerUpload,
          maxStoredOneTimeKeys,
          lowPreKeyThreshold,
          deliveryWindow,
          codeTtl,
          maxCodeAttempts,
          linkTokenTtl,
          provisioningTtl,
          maxGroupMembers,
          maxUnwrittenBytes,
          maxConnections,
          maxUnauthenticatedConnections,
          maxUnauthenticatedPerAddress,
          unauthenticatedTimeout,
          rates);
    }
  }
}
