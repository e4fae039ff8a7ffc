package org.parley.server.devices;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import org.parley.protocol.LinkCodeCipher;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Status;
import org.parley.server.cluster.RedisClients;
import org.parley.server.limits.Throttle;
import org.parley.server.transport.ApiException;

/**
 * The codes companions show (docs/PROTOCOL.md §6.1), by slot (the code's first half). The server
 * holds only the wrapped blob, which it cannot test a guess against (see {@code LinkCodeCipher});
 * what it does is count live attempts: one use, {@value #MAX_ATTEMPTS} claims, {@link #TTL}.
 *
 * <p>A lone node keeps them in its memory ({@link LocalLinkCodes}); the nodes of a cluster share
 * them in Redis ({@link RedisLinkCodes}), so a primary on any node can claim a code a companion
 * shows on another, and the bounds hold across nodes: claims are counted atomically there.
 */
public interface LinkCodes extends AutoCloseable {
  int MAX_ATTEMPTS = 3;
  Duration TTL = Duration.ofSeconds(180);
  /** Bounds the memory and the chance that a random slot is taken. */
  int MAX_CODES = 4096;
  /**
   * Live codes one client address may hold: a person links a device or two at a time, and without
   * this bound a few hundred addresses could hold every one of the {@value #MAX_CODES} slots.
   */
  int MAX_CODES_PER_CLIENT = 4;

  /**
   * What the server keeps for one code.
   *
   * @param address the provisioning socket that shows it
   * @param client the client address (as the throttle keys it) that registered it
   */
  record Code(
      String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind, long expiresAt) {}

  /** A claim that counted: the code, and how many claims it has had, this one included. */
  record Claim(Code code, int claims) {
    public int attemptsLeft() {
      return MAX_ATTEMPTS - claims;
    }
  }

  /** What the claiming primary may know while its companion links. */
  record Progress(int wrong, int attemptsLeft) {}

  /** In Redis when the nodes share one ({@code redis} the node's client, else null), else in this process. */
  static LinkCodes open(RedisClients redis, Clock clock) {
    return redis == null ? new LocalLinkCodes(clock) : new RedisLinkCodes(redis, clock);
  }

  /**
   * Registers the code the socket at {@code address}, opened from {@code client}, shows: one per
   * socket, {@value #MAX_CODES_PER_CLIENT} per client, {@value #MAX_CODES} in all, a slot once.
   */
  Code register(String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind)
      throws ApiException;

  /** One attempt by {@code account} at the code in {@code slot}; refused when unknown, expired or used up. */
  Claim claim(String slot, String account) throws ApiException;

  /** The companion at {@code address} could not open what a primary sent: a wrong code. */
  void wrong(String address);

  /**
   * How many wrong attempts the companion reported, and how many claims are left; told only to an
   * account that claimed the code. To anyone else a held code looks unknown: a status is no way to
   * find out which slots are taken.
   */
  Progress status(String slot, String account) throws ApiException;

  /** When the code of the socket at {@code address} expires, or 0 when it shows none. */
  long expiresAt(String address);

  /** The code's socket closed (linked, or given up): the code dies with it, used or not. */
  void forget(String address);

  /** What is held for a slot, or null, for tests (the operator's view). */
  Code held(String slot);

  /** The operator replaces a held blob, for tests of a substituting server. */
  void substitute(String slot, ByteString wrapped);

  @Override
  default void close() {}

  // ------------------------------------------------------------ what every implementation says

  static void checkInput(String slot, ByteString wrapped, String name) throws ApiException {
    if (slot.length() != 4 || !slot.chars().allMatch(c -> LinkCodeCipher.ALPHABET.indexOf(c) >= 0)) {
      throw new ApiException(Status.BAD_REQUEST, "a link code slot is the code's first 4 characters");
    }
    if (wrapped.size() != LinkCodeCipher.WRAPPED_BYTES) {
      throw new ApiException(Status.BAD_REQUEST, "the wrapped keys of a link code are " + LinkCodeCipher.WRAPPED_BYTES + " bytes");
    }
    if (name.length() > 64) {
      throw new ApiException(Status.BAD_REQUEST, "a device name is at most 64 characters");
    }
  }

  static ApiException socketShowsOne() {
    return new ApiException(Status.CONFLICT, "this provisioning socket already shows a code; open a new one");
  }

  static ApiException slotTaken() {
    return new ApiException(Status.CONFLICT, "this code's first half is taken; draw another code");
  }

  /** @param retryAfter until the client's oldest code expires */
  static ApiException clientFull(Duration retryAfter) {
    return Throttle.refusal(
        Status.RATE_LIMITED,
        "your address already shows " + MAX_CODES_PER_CLIENT + " link codes; link those devices or wait for one to expire",
        retryAfter);
  }

  /** @param retryAfter until the oldest code on the server expires */
  static ApiException serverFull(Duration retryAfter) {
    return Throttle.refusal(Status.RATE_LIMITED, "too many link codes are waiting on this server", retryAfter);
  }

  static ApiException unknown() {
    return new ApiException(
        Status.NOT_FOUND,
        "no device shows this link code (a code works once, for 180 s, 3 tries);"
            + " check it, or run 'parley link --code' on the new device again");
  }

  static ApiException expired() {
    return new ApiException(
        Status.EXPIRED, "this link code expired (codes last 180 s); run 'parley link --code' on the new device again");
  }

  static ApiException usedUp() {
    return new ApiException(
        Status.LIMIT_REACHED,
        "this link code was tried 3 times and no longer works; run 'parley link --code' on the new device for a new one");
  }

  /** A wait of at least a millisecond until {@code at}. */
  static Duration until(long at, long now) {
    return Duration.ofMillis(Math.max(1, at - now));
  }
}
