package org.parley.server.registration;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.parley.protocol.wire.RegistrationLocked;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SetRegistrationLock;
import org.parley.protocol.wire.Status;
import org.parley.server.limits.Rate;
import org.parley.server.limits.Throttle;
import org.parley.server.store.Account;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.RegistrationLocks;
import org.parley.server.store.RegistrationLocks.Lock;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;

/**
 * The registration lock (DESIGN.md §3): the primary sets a PIN; the server keeps a slow hash of it
 * (PBKDF2-HMAC-SHA256, 600,000 rounds, random salt), and while the account's primary has been seen
 * within {@link #LIFETIME}, re-registering the number needs the PIN besides the SMS code. Wrong PINs
 * are counted per number. The lock lapses when the primary stays away longer, so a lost phone with
 * a forgotten PIN does not lose the number for ever.
 */
public final class RegistrationLock {
  public static final Duration LIFETIME = Duration.ofDays(7);
  static final int ITERATIONS = 600_000;
  private static final int MIN_PIN = 4;
  private static final int MAX_PIN = 64;
  /** PIN guesses per number: a few at once, then one more every half hour. */
  private static final SecureRandom RANDOM = new SecureRandom();

  private final RegistrationLocks locks;
  private final Clock clock;
  private final Throttle throttle;
  private final Rate attempts;

  public RegistrationLock(RegistrationLocks locks, Clock clock, Throttle throttle, Rate attempts) {
    this.locks = locks;
    this.clock = clock;
    this.throttle = throttle;
    this.attempts = attempts;
  }

  public void routes(RequestRouter router) {
    router.on(Request.BodyCase.SET_REGISTRATION_LOCK, Access.PRIMARY, (s, r) -> set(s, r.getSetRegistrationLock()));
  }

  private CompletableFuture<Response.Builder> set(Session session, SetRegistrationLock request) throws ApiException {
    UUID account = session.address().account();
    String pin = request.getPin();
    if (pin.isEmpty()) {
      locks.clear(account);
      return RequestRouter.ok();
    }
    if (pin.length() < MIN_PIN || pin.length() > MAX_PIN) {
      throw new ApiException(
          Status.BAD_REQUEST, "a registration-lock PIN has " + MIN_PIN + " to " + MAX_PIN + " characters");
    }
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    locks.put(account, new Lock(hash(pin, salt, ITERATIONS), salt, ITERATIONS, clock.millis()));
    return RequestRouter.ok();
  }

  /**
   * Lets the registration of a number whose account exists go on, or refuses it: a lock that holds
   * needs the PIN. A lock that lapsed is removed: the number's new owner starts without one.
   */
  void check(String phone, Account account, Optional<DeviceRecord> primary, String pin) throws ApiException {
    Optional<Lock> lock = locks.get(account.id());
    if (lock.isEmpty()) {
      return;
    }
    long seen = primary.map(DeviceRecord::lastSeen).orElse(0L);
    long lapsesAt = Math.max(seen, lock.get().setAt()) + LIFETIME.toMillis();
    if (clock.millis() >= lapsesAt) {
      locks.clear(account.id());
      return;
    }
    if (pin.isEmpty()) {
      throw new ApiException(
          Status.REGISTRATION_LOCKED,
          phone + " is protected by a registration lock: register it again with its PIN ('parley verify CODE --pin"
              + " PIN'); without the PIN it stays locked until " + Instant.ofEpochMilli(lapsesAt)
              + " (7 days after its primary device was last online)",
          b -> b.setRegistrationLocked(RegistrationLocked.newBuilder().setLapsesAt(lapsesAt)));
    }
    throttle.take(attempts, phone, "registration-lock PINs tried for " + phone);
    Lock held = lock.get();
    if (!MessageDigest.isEqual(hash(pin, held.salt(), held.iterations()), held.pinHash())) {
      throw new ApiException(
          Status.REGISTRATION_LOCKED,
          "wrong registration-lock PIN for " + phone + "; the number stays locked until "
              + Instant.ofEpochMilli(lapsesAt),
          b -> b.setRegistrationLocked(RegistrationLocked.newBuilder().setLapsesAt(lapsesAt)));
    }
  }

  static byte[] hash(String pin, byte[] salt, int iterations) {
    try {
      PBEKeySpec spec = new PBEKeySpec(pin.toCharArray(), salt, iterations, 256);
      try {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      } finally {
        spec.clearPassword();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
    }
  }
}
