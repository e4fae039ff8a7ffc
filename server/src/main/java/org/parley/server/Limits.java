package org.parley.server;

import java.time.Duration;

/**
 * Every bound of DESIGN.md §11 in one place, so each can be named in an error and tuned in tests.
 *
 * @param maxFrameBytes largest WebSocket message accepted; larger ones close the socket (1009)
 * @param maxEnvelopeBytes largest ciphertext in one envelope
 * @param maxEnvelopesPerRequest envelopes one send request may carry
 * @param maxQueueLength envelopes waiting for one device; a send that would pass it is refused
 * @param maxOneTimeKeysPerUpload one-time pre-keys of each kind in one upload
 * @param maxStoredOneTimeKeys one-time pre-keys of each kind a device may hold on the server
 * @param lowPreKeyThreshold below this many one-time keys, the owner is told to upload more
 * @param deliveryWindow envelopes pushed to a device and not yet acked
 * @param codeRequestsPerPhone verification codes per phone number (burst; refills one per {@code codeRefill})
 * @param requestsPerAddress unauthenticated requests per remote address (burst; one more per second)
 * @param keyFetchesPerAccount pre-key bundles per account (burst; refills ten per second)
 * @param linkTokensPerAccount link tokens per account (burst; one more per minute)
 *
 * <p>Bounds on blobs are in {@link org.parley.server.blobs.BlobLimits}.
 */
public record Limits(
    int maxFrameBytes,
    int maxEnvelopeBytes,
    int maxEnvelopesPerRequest,
    long maxQueueLength,
    int maxOneTimeKeysPerUpload,
    int maxStoredOneTimeKeys,
    int lowPreKeyThreshold,
    int deliveryWindow,
    int codeRequestsPerPhone,
    Duration codeRefill,
    Duration codeTtl,
    int maxCodeAttempts,
    int requestsPerAddress,
    int keyFetchesPerAccount,
    int linkTokensPerAccount,
    Duration linkTokenTtl,
    Duration provisioningTtl,
    int maxGroupMembers) {

  public static Limits defaults() {
    return new Limits(
        2 * 1024 * 1024,
        256 * 1024,
        1024,
        100_000,
        200,
        1000,
        10,
        256,
        5,
        Duration.ofMinutes(1),
        Duration.ofMinutes(10),
        5,
        300,
        1000,
        10,
        Duration.ofMinutes(5),
        Duration.ofSeconds(60),
        1024);
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
    private int maxOneTimeKeysPerUpload;
    private int maxStoredOneTimeKeys;
    private int lowPreKeyThreshold;
    private int deliveryWindow;
    private int codeRequestsPerPhone;
    private Duration codeRefill;
    private Duration codeTtl;
    private int maxCodeAttempts;
    private int requestsPerAddress;
    private int keyFetchesPerAccount;
    private int linkTokensPerAccount;
    private Duration linkTokenTtl;
    private Duration provisioningTtl;
    private int maxGroupMembers;

    private Builder(Limits from) {
      maxFrameBytes = from.maxFrameBytes;
      maxEnvelopeBytes = from.maxEnvelopeBytes;
      maxEnvelopesPerRequest = from.maxEnvelopesPerRequest;
      maxQueueLength = from.maxQueueLength;
      maxOneTimeKeysPerUpload = from.maxOneTimeKeysPerUpload;
      maxStoredOneTimeKeys = from.maxStoredOneTimeKeys;
      lowPreKeyThreshold = from.lowPreKeyThreshold;
      deliveryWindow = from.deliveryWindow;
      codeRequestsPerPhone = from.codeRequestsPerPhone;
      codeRefill = from.codeRefill;
      codeTtl = from.codeTtl;
      maxCodeAttempts = from.maxCodeAttempts;
      requestsPerAddress = from.requestsPerAddress;
      keyFetchesPerAccount = from.keyFetchesPerAccount;
      linkTokensPerAccount = from.linkTokensPerAccount;
      linkTokenTtl = from.linkTokenTtl;
      provisioningTtl = from.provisioningTtl;
      maxGroupMembers = from.maxGroupMembers;
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

    public Builder codeRequestsPerPhone(int value) {
      codeRequestsPerPhone = value;
      return this;
    }

    public Builder codeRefill(Duration value) {
      codeRefill = value;
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

    public Builder requestsPerAddress(int value) {
      requestsPerAddress = value;
      return this;
    }

    public Builder keyFetchesPerAccount(int value) {
      keyFetchesPerAccount = value;
      return this;
    }

    public Builder linkTokensPerAccount(int value) {
      linkTokensPerAccount = value;
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

    public Limits build() {
      return new Limits(
          maxFrameBytes, maxEnvelopeBytes, maxEnvelopesPerRequest, maxQueueLength, maxOneTimeKeysPerUpload, maxStoredOneTimeKeys, lowPreKeyThreshold, deliveryWindow, codeRequestsPerPhone, codeRefill, codeTtl, maxCodeAttempts, requestsPerAddress, keyFetchesPerAccount, linkTokensPerAccount, linkTokenTtl, provisioningTtl, maxGroupMembers);
    }
  }
}
