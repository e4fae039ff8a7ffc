package org.parley.server.registration;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.parley.protocol.PhoneNumbers;
import org.parley.server.auth.Credentials;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Registered;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.protocol.wire.Unlinked;
import org.parley.server.Limits;
import org.parley.server.limits.Rates;
import org.parley.server.limits.Throttle;
import org.parley.server.messages.Presence;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.RegistrationLocks;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.VerificationCodes;
import org.parley.server.store.VerificationCodes.PendingCode;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;

/**
 * Registration by phone number: a code goes out by SMS, the device comes back with it and its keys,
 * and becomes the account's primary. Codes expire, wrong guesses are counted, and requests are
 * rate-limited per number and per remote address.
 */
public final class RegistrationService {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_REGISTRATION_ID = 16380;

  private final Accounts accounts;
  private final VerificationCodes codes;
  private final Presence presence;
  private final SmsSender sms;
  private final Clock clock;
  private final Limits limits;
  private final NewDeviceValidator devices;
  private final Throttle throttle;
  private final Rates rates;
  private final RegistrationLock lock;

  public RegistrationService(
      Accounts accounts,
      VerificationCodes codes,
      RegistrationLocks locks,
      Presence presence,
      SmsSender sms,
      Clock clock,
      Limits limits,
      Throttle throttle) {
    this.accounts = accounts;
    this.codes = codes;
    this.presence = presence;
    this.sms = sms;
    this.clock = clock;
    this.limits = limits;
    this.devices = new NewDeviceValidator(limits);
    this.throttle = throttle;
    this.rates = limits.rates();
    this.lock = new RegistrationLock(locks, clock, throttle, limits.rates().pinGuesses());
  }

  public void routes(RequestRouter router) {
    router
        .on(Request.BodyCase.REQUEST_CODE, Access.ANYONE, (s, r) -> requestCode(s, r.getRequestCode()))
        .on(Request.BodyCase.REGISTER, Access.ANYONE, (s, r) -> register(s, r.getRegister()));
    lock.routes(router);
  }

  private CompletableFuture<Response.Builder> requestCode(Session session, RequestCode request)
      throws ApiException {
    String phone = phone(request.getPhone());
    throttle.take(rates.unauthenticatedRequests(), session.remoteAddress(), "requests from your address");
    // A code costs an SMS, so each address may have only so many asked for on its behalf in a day.
    // Checked first: an address out of budget must not lengthen the wait of the number it names.
    throttle.take(rates.smsPerAddress(), session.remoteAddress(), "verification codes sent for your address today");
    // Backing off: a few codes at once, then a growing wait between them, and a cap per day.
    throttle.backOff(rates.codeRequests(), phone, "verification codes for " + phone);
    throttle.take(rates.codeRequestsDaily(), phone, "verification codes for " + phone + " today");
    String code = String.format("%06d", RANDOM.nextInt(1_000_000));
    codes.put(new PendingCode(phone, hash(phone, code), clock.millis() + limits.codeTtl().toMillis(), 0));
    sms.send(phone, code);
    return RequestRouter.ok();
  }

  private CompletableFuture<Response.Builder> register(Session session, Register request)
      throws ApiException {
    String phone = phone(request.getPhone());
    throttle.take(rates.unauthenticatedRequests(), session.remoteAddress(), "requests from your address");
    // Guesses are counted per number across codes, so asking for new codes buys no new guesses.
    throttle.take(rates.codeGuesses(), phone, "verification attempts for " + phone);
    checkCode(phone, request.getCode());
    Optional<Account> existing = accounts.byPhone(phone);
    if (existing.isPresent()) {
      Optional<DeviceRecord> primary =
          accounts.devices(existing.get().id()).stream().filter(DeviceRecord::isPrimary).findFirst();
      lock.check(phone, existing.get(), primary, request.getRegistrationLockPin());
    }
    NewDeviceValidator.Valid device = devices.validate(request.getDevice());
    long now = clock.millis();
    DeviceRecord primary = device.record(UUID.randomUUID(), 1, now, null);
    Accounts.Registration registration =
        accounts.registerPrimary(phone, primary, device.keys(), UnlinkReason.REREGISTERED_VALUE);
    codes.delete(phone);
    // Verified: the next code for this number (a new phone, a reinstall) need not wait.
    throttle.reset(rates.codeRequests(), phone);
    for (DeviceAddress removed : registration.removed()) {
      presence.disconnect(
          removed,
          Push.newBuilder()
              .setUnlinked(Unlinked.newBuilder().setReason(UnlinkReason.REREGISTERED).setAt(now))
              .build());
    }
    return RequestRouter.ok(
        Response.newBuilder()
            .setRegistered(
                Registered.newBuilder()
                    .setAccountId(registration.account().id().toString())
                    .setDeviceId(1)
                    .setNextDeviceListVersion(registration.account().deviceListVersion() + 1)));
  }

  /** Every attempt is counted before the code is compared, so parallel guesses cannot pass the limit. */
  private void checkCode(String phone, String code) throws ApiException {
    Optional<PendingCode> pending = codes.attempt(phone);
    if (pending.isEmpty()) {
      throw new ApiException(
          Status.NOT_FOUND, "no verification code is pending for " + phone + "; request one with 'parley register'");
    }
    PendingCode current = pending.get();
    if (current.expiresAt() < clock.millis()) {
      codes.delete(phone);
      throw new ApiException(Status.EXPIRED, "the verification code expired; request a new one with 'parley register'");
    }
    if (current.failedAttempts() > limits.maxCodeAttempts()) {
      throw new ApiException(
          Status.RATE_LIMITED, "too many wrong codes; request a new one with 'parley register'");
    }
    if (!MessageDigest.isEqual(hash(phone, code), current.codeHash())) {
      throw new ApiException(
          Status.INVALID_CODE,
          "wrong verification code (" + (limits.maxCodeAttempts() - current.failedAttempts()) + " attempts left)");
    }
  }

  private static String phone(String raw) throws ApiException {
    try {
      return PhoneNumbers.normalize(raw);
    } catch (IllegalArgumentException e) {
      throw new ApiException(Status.BAD_REQUEST, e.getMessage());
    }
  }

  private static byte[] hash(String phone, String code) {
    return Credentials.hash((phone + ":" + code).getBytes(StandardCharsets.UTF_8));
  }
}
