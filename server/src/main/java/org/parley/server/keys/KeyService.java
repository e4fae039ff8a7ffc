package org.parley.server.keys;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.parley.protocol.wire.DeviceKeys;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.GetKeysBatch;
import org.parley.protocol.wire.KeyCounts;
import org.parley.protocol.wire.Keys;
import org.parley.protocol.wire.KeysBatch;
import org.parley.protocol.wire.PreKey;
import org.parley.protocol.wire.PreKeysLow;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.protocol.wire.SignedPreKey;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.limits.Rates;
import org.parley.server.limits.Throttle;
import org.parley.server.messages.Presence;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;

/** Pre-key upload by their owner and bundle fetch by whoever starts a session. */
public final class KeyService {
  private final Accounts accounts;
  private final org.parley.server.store.Keys keys;
  private final Presence presence;
  private final KeyValidator validator;
  private final Limits limits;
  private final Throttle throttle;
  private final AccountLookup lookup;
  private final Rates rates;

  public KeyService(
      Accounts accounts, org.parley.server.store.Keys keys, Presence presence, Limits limits, Throttle throttle) {
    this.accounts = accounts;
    this.keys = keys;
    this.presence = presence;
    this.validator = new KeyValidator(limits);
    this.limits = limits;
    this.throttle = throttle;
    this.lookup = new AccountLookup(accounts, throttle, limits.rates());
    this.rates = limits.rates();
  }

  public void routes(RequestRouter router) {
    router
        .on(Request.BodyCase.UPLOAD_KEYS, Access.DEVICE, (s, r) -> upload(s, r))
        .on(Request.BodyCase.GET_KEY_COUNTS, Access.DEVICE, (s, r) -> counts(s))
        .on(Request.BodyCase.GET_KEYS, Access.DEVICE, (s, r) -> fetch(s, r.getGetKeys()))
        .on(Request.BodyCase.GET_KEYS_BATCH, Access.DEVICE, (s, r) -> fetchBatch(s, r.getGetKeysBatch()));
  }

  private CompletableFuture<Response.Builder> upload(Session session, Request request) throws ApiException {
    PreKeys.Upload upload =
        validator.validate(
            request.getUploadKeys().getKeys(),
            KeyValidator.identityKey(session.device().identityKey()),
            false);
    PreKeys.Counts counts = keys.counts(session.address());
    if (counts.preKeys() + upload.oneTimePreKeys().size() > limits.maxStoredOneTimeKeys()
        || counts.kyberPreKeys() + upload.oneTimeKyberPreKeys().size() > limits.maxStoredOneTimeKeys()) {
      throw new ApiException(
          Status.LIMIT_REACHED,
          "the server holds at most " + limits.maxStoredOneTimeKeys() + " one-time pre-keys of each kind per device");
    }
    keys.upload(session.address(), upload);
    return RequestRouter.ok();
  }

  private CompletableFuture<Response.Builder> counts(Session session) {
    PreKeys.Counts counts = keys.counts(session.address());
    return RequestRouter.ok(
        Response.newBuilder()
            .setKeyCounts(
                KeyCounts.newBuilder().setPreKeys(counts.preKeys()).setKyberPreKeys(counts.kyberPreKeys())));
  }

  private CompletableFuture<Response.Builder> fetch(Session session, GetKeys request) throws ApiException {
    return RequestRouter.ok(Response.newBuilder().setKeys(fetch(session, List.of(request)).getFirst()));
  }

  CompletableFuture<Response.Builder> fetchBatch(Session session, GetKeysBatch request) throws ApiException {
    if (request.getTargetsCount() == 0) {
      throw new ApiException(Status.BAD_REQUEST, "a batch fetch needs at least one account");
    }
    return RequestRouter.ok(
        Response.newBuilder().setKeysBatch(KeysBatch.newBuilder().addAllKeys(fetch(session, request.getTargetsList()))));
  }

  /** One fetch's account and the devices it wants bundles of. */
  private record Wanted(Account account, List<DeviceAddress> devices) {}

  /**
   * Bundles for the wanted devices of each request's account, every one taken in one commit, after
   * every account was found and the whole count was allowed by the rate limit.
   */
  private List<Keys> fetch(Session session, List<GetKeys> requests) throws ApiException {
    // A fetch that finds nothing costs as much as one that finds a bundle: misses probe too. Each
    // request is paid for before its account is looked up (a batch holds up to a bucket's worth),
    // the bundles beyond one per request once they are counted; refused, nothing is handed out.
    String payer = session.address().account().toString();
    throttle.take(rates.keyFetches(), payer, requests.size(), "pre-key bundles fetched");
    List<Wanted> plan = new ArrayList<>(requests.size());
    List<DeviceAddress> all = new ArrayList<>();
    for (GetKeys request : requests) {
      Account account = lookup.find(session, request.getAccountId(), request.getPhone());
      List<Integer> wanted = request.getDeviceIdsList();
      List<DeviceAddress> devices = new ArrayList<>();
      // The cached list is enough: the take below checks each device again in its commit.
      for (DeviceRecord device : accounts.routingDevices(account.id())) {
        if ((wanted.isEmpty() || wanted.contains(device.deviceId())) && !device.address().equals(session.address())) {
          devices.add(device.address());
        }
      }
      plan.add(new Wanted(account, devices));
      all.addAll(devices);
    }
    if (all.size() > requests.size()) {
      throttle.take(rates.keyFetches(), payer, all.size() - requests.size(), "pre-key bundles fetched");
    }
    List<Optional<PreKeys.Bundle>> bundles = keys.takeAll(all);
    List<Keys> out = new ArrayList<>(plan.size());
    int next = 0;
    for (Wanted wanted : plan) {
      Keys.Builder keysOf =
          Keys.newBuilder().setAccountId(wanted.account().id().toString()).setPhone(wanted.account().phone());
      if (wanted.account().deviceList() != null) {
        keysOf.setDeviceList(parseList(wanted.account().deviceList()));
      }
      for (DeviceAddress device : wanted.devices()) {
        Optional<PreKeys.Bundle> bundle = bundles.get(next++);
        if (bundle.isPresent()) {
          keysOf.addDevices(toWire(bundle.get()));
          warnIfLow(device);
        }
      }
      out.add(keysOf.build());
    }
    return out;
  }

  private void warnIfLow(DeviceAddress device) {
    if (!presence.isConnected(device)) {
      return;
    }
    PreKeys.Counts counts = keys.counts(device);
    if (counts.preKeys() < limits.lowPreKeyThreshold() || counts.kyberPreKeys() < limits.lowPreKeyThreshold()) {
      presence.push(
          device,
          Push.newBuilder()
              .setPreKeysLow(
                  PreKeysLow.newBuilder().setPreKeys(counts.preKeys()).setKyberPreKeys(counts.kyberPreKeys()))
              .build());
    }
  }

  private static DeviceKeys toWire(PreKeys.Bundle bundle) {
    DeviceRecord device = bundle.device();
    DeviceKeys.Builder out =
        DeviceKeys.newBuilder()
            .setDeviceId(device.deviceId())
            .setRegistrationId(device.registrationId())
            .setIdentityKey(ByteString.copyFrom(device.identityKey()))
            .setSignedPreKey(signed(bundle.signedPreKey()))
            .setKyberPreKey(signed(bundle.kyberPreKey()));
    if (device.deviceSignature() != null) {
      out.setDeviceSignature(ByteString.copyFrom(device.deviceSignature()));
    }
    if (bundle.preKey() != null) {
      out.setPreKey(
          PreKey.newBuilder()
              .setId(bundle.preKey().id())
              .setPublicKey(ByteString.copyFrom(bundle.preKey().publicKey())));
    }
    return out.build();
  }

  private static SignedPreKey signed(PreKeys.Key key) {
    return SignedPreKey.newBuilder()
        .setId(key.id())
        .setPublicKey(ByteString.copyFrom(key.publicKey()))
        .setSignature(ByteString.copyFrom(key.signature()))
        .build();
  }

  public static SignedDeviceList parseList(byte[] stored) {
    try {
      return SignedDeviceList.parseFrom(stored);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored device list is corrupt", e);
    }
  }

  /** Finds the account a request names by id or phone number. */
  public static Account resolve(Accounts accounts, String accountId, String phone) throws ApiException {
    Optional<Account> account;
    if (!accountId.isEmpty()) {
      UUID id;
      try {
        id = UUID.fromString(accountId);
      } catch (IllegalArgumentException e) {
        throw new ApiException(Status.BAD_REQUEST, "'" + accountId + "' is not an account id");
      }
      account = accounts.byId(id);
    } else if (!phone.isEmpty()) {
      account = accounts.byPhone(phone);
    } else {
      throw new ApiException(Status.BAD_REQUEST, "name the account by id or phone number");
    }
    if (account.isEmpty() || accounts.devices(account.get().id()).isEmpty()) {
      throw new ApiException(
          Status.NOT_FOUND,
          (phone.isEmpty() ? "account " + accountId : phone) + " is not registered on this server");
    }
    return account.get();
  }
}
