package org.parley.server.devices;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.DeviceInfo;
import org.parley.protocol.wire.Devices;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.protocol.wire.UnlinkDevice;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.protocol.wire.Unlinked;
import org.parley.server.Limits;
import org.parley.server.keys.KeyService;
import org.parley.server.keys.AccountLookup;
import org.parley.server.limits.Throttle;
import org.parley.server.messages.Presence;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;

/** An account's devices: listing them, storing the primary-signed list, unlinking companions. */
public final class DeviceService {
  private final Accounts accounts;
  private final Presence presence;
  private final Clock clock;
  private final UnlinkWarnings warnings;
  private final Limits limits;
  private final int maxCompanions;
  private final Throttle throttle;
  private final AccountLookup lookup;

  public DeviceService(
      Accounts accounts, Presence presence, Clock clock, UnlinkWarnings warnings, Limits limits, int maxCompanions,
      Throttle throttle) {
    this.accounts = accounts;
    this.limits = limits;
    this.maxCompanions = maxCompanions;
    this.throttle = throttle;
    this.lookup = new AccountLookup(accounts, throttle, limits.rates());
    this.presence = presence;
    this.clock = clock;
    this.warnings = warnings;
  }

  public void routes(RequestRouter router) {
    router
        .on(Request.BodyCase.GET_DEVICES, Access.DEVICE, (s, r) -> devices(s, r.getGetDevices()))
        .on(Request.BodyCase.PUT_DEVICE_LIST, Access.PRIMARY, (s, r) -> putList(s, r))
        .on(Request.BodyCase.UNLINK_DEVICE, Access.DEVICE, (s, r) -> unlink(s, r.getUnlinkDevice()));
  }

  private CompletableFuture<Response.Builder> devices(Session session, GetDevices request)
      throws ApiException {
    if (request.getTargetCase() == GetDevices.TargetCase.ACCOUNT_ID
        && !request.getAccountId().equals(session.address().account().toString())) {
      throttle.take(
          limits.rates().keyFetches(), session.address().account().toString(), "device lists fetched");
    }
    Account account =
        request.getTargetCase() == GetDevices.TargetCase.TARGET_NOT_SET
            ? accounts.byId(session.address().account()).orElseThrow()
            : lookup.find(session, request.getAccountId(), request.getPhone());
    boolean own = account.id().equals(session.address().account());
    Devices.Builder out =
        Devices.newBuilder().setAccountId(account.id().toString()).setPhone(account.phone());
    if (account.deviceList() != null) {
      out.setDeviceList(KeyService.parseList(account.deviceList()));
    }
    if (own) {
      out.setNextDeviceListVersion(account.deviceListVersion() + 1);
    }
    List<DeviceRecord> all = accounts.devices(account.id());
    DeviceRecord primary = all.stream().filter(DeviceRecord::isPrimary).findFirst().orElse(null);
    for (DeviceRecord device : all) {
      DeviceInfo.Builder info =
          DeviceInfo.newBuilder()
              .setDeviceId(device.deviceId())
              .setRegistrationId(device.registrationId())
              .setIdentityKey(ByteString.copyFrom(device.identityKey()))
              .setName(device.name())
              .setKindValue(device.kind())
              .setCreatedAt(device.createdAt());
      if (device.deviceSignature() != null) {
        info.setDeviceSignature(ByteString.copyFrom(device.deviceSignature()));
      }
      if (own) {
        // Activity and pending unlinks are the account's own business, not its contacts'.
        info.setLastSeen(device.lastSeen());
        info.setUnlinkAt(warnings.unlinkAt(device, primary));
      }
      out.addDevices(info);
    }
    return RequestRouter.ok(Response.newBuilder().setDevices(out));
  }

  private CompletableFuture<Response.Builder> putList(Session session, Request request)
      throws ApiException {
    Account account = accounts.byId(session.address().account()).orElseThrow();
    VerifiedDeviceList list =
        DeviceListCheck.verify(account, session.device(), request.getPutDeviceList().getDeviceList());
    DeviceListCheck.checkBounds(list, maxCompanions);
    if (!accounts.putDeviceList(
        account.id(), list.version(), request.getPutDeviceList().getDeviceList().toByteArray())) {
      throw new ApiException(Status.STALE_VERSION, "a newer device list was stored meanwhile");
    }
    return RequestRouter.ok();
  }

  private CompletableFuture<Response.Builder> unlink(Session session, UnlinkDevice request)
      throws ApiException {
    DeviceRecord caller = session.device();
    int target = request.getDeviceId() == 0 ? caller.deviceId() : request.getDeviceId();
    long now = clock.millis();
    if (target == caller.deviceId()) {
      if (caller.isPrimary()) {
        throw new ApiException(
            Status.FORBIDDEN,
            "the primary device cannot unlink itself; register the number again on a new phone instead");
      }
      accounts.removeDevices(
          caller.account(), List.of(target), UnlinkReason.UNLINKED_SELF_VALUE, now, 0, null);
      session.channel().eventLoop().schedule(session::close, 1, java.util.concurrent.TimeUnit.SECONDS);
      return RequestRouter.ok();
    }
    if (!caller.isPrimary()) {
      throw new ApiException(Status.FORBIDDEN, "only the primary device may unlink another device");
    }
    if (target == 1) {
      throw new ApiException(Status.FORBIDDEN, "the primary device cannot be unlinked");
    }
    DeviceAddress address = new DeviceAddress(caller.account(), target);
    if (accounts.device(address).isEmpty()) {
      throw new ApiException(Status.NOT_FOUND, "this account has no device " + target);
    }
    long version = 0;
    byte[] list = null;
    if (request.hasDeviceList()) {
      Account account = accounts.byId(caller.account()).orElseThrow();
      VerifiedDeviceList verified = DeviceListCheck.verify(account, caller, request.getDeviceList());
      DeviceListCheck.checkBounds(verified, maxCompanions);
      if (verified.entry(target) != null) {
        throw new ApiException(Status.BAD_REQUEST, "the new device list still names device " + target);
      }
      version = verified.version();
      list = request.getDeviceList().toByteArray();
    }
    accounts.removeDevices(
        caller.account(), List.of(target), UnlinkReason.REMOVED_BY_PRIMARY_VALUE, now, version, list);
    presence.disconnect(
        address,
        Push.newBuilder()
            .setUnlinked(Unlinked.newBuilder().setReason(UnlinkReason.REMOVED_BY_PRIMARY).setAt(now))
            .build());
    return RequestRouter.ok();
  }
}
