package org.parley.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.parley.client.linking.CompanionLinker;
import org.parley.client.linking.LinkUri;
import org.parley.client.linking.PrimaryLinker;
import org.parley.client.net.ServerConnection;
import org.parley.client.messaging.OwnDeviceList;
import org.parley.protocol.wire.DeviceInfo;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Devices;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.protocol.wire.UnlinkDevice;

/** The account's devices: linking companions by QR code, unlinking them, listing them. */
final class Companions {
  private final DeviceContext device;
  private final Online online;

  Companions(DeviceContext device, Online online) {
    this.device = device;
    this.online = online;
  }

  CompanionLinker.Result link(
      String serverUrl, String name, DeviceKind kind, boolean byCode, Consumer<CompanionLinker.Invitation> show) {
    String shown = name == null || name.isBlank() ? kind.name().toLowerCase(Locale.ROOT) : name;
    CompanionLinker.Result result =
        new CompanionLinker(device.profile, device.signal, device.local, device.contacts, device.clock, device.ssl)
            .link(serverUrl, shown, kind, byCode, show);
    // Learn the account's devices now, so the first message from here reaches every one of them.
    device.directory().refresh(online.connection(false), result.account());
    return result;
  }

  PrimaryLinker.Linked addDevice(String linkUri, int historyDays) {
    return addDevice(historyDays, (linker, server) -> linker.add(server, LinkUri.parse(linkUri)));
  }

  /** Links the device that shows the 8-character {@code code} (docs/PROTOCOL.md §6.1). */
  PrimaryLinker.Linked addDeviceByCode(String code, int historyDays) {
    return addDevice(historyDays, (linker, server) -> linker.addByCode(server, code));
  }

  private PrimaryLinker.Linked addDevice(
      int historyDays, java.util.function.BiFunction<PrimaryLinker, ServerConnection, PrimaryLinker.Linked> how) {
    device.requirePrimary("add devices");
    if (historyDays < 1) {
      throw new ClientException("--history-days must be at least 1");
    }
    var local = device.local;
    ServerConnection server = online.connection(false);
    PrimaryLinker linker =
        new PrimaryLinker(
                device.signal.getIdentityKeyPair(), local.account(), local.phone(), local.serverUrl(),
                device.ownList(), device.clock);
    PrimaryLinker.Linked linked = how.apply(linker, server);
    // The companion is on the signed list now: whatever arrives from here on reaches it directly,
    // and everything before is in the export.
    device.directory().refresh(server, local.account());
    device.historyHandoff().send(server, device.sender(), linked.deviceId(), historyDays);
    return linked;
  }

  void unlink(int deviceId) {
    device.requirePrimary("unlink other devices");
    var local = device.local;
    if (deviceId == local.deviceId()) {
      throw new ClientException("the primary cannot unlink itself; register the number on a new phone instead");
    }
    ServerConnection server = online.connection(false);
    OwnDeviceList own = device.ownList();
    own.reconcile(server);
    SignedDeviceList next = own.without(deviceId, own.current().version() + 1);
    server.call(
        Request.newBuilder().setUnlinkDevice(UnlinkDevice.newBuilder().setDeviceId(deviceId).setDeviceList(next)));
    own.published(next);
    device.directory().refresh(server, local.account());
  }

  void unlinkSelf() {
    if (device.local.isPrimary()) {
      throw new ClientException("this is the primary device; it cannot unlink itself");
    }
    online.connection(false).call(Request.newBuilder().setUnlinkDevice(UnlinkDevice.getDefaultInstance()));
    device.local.unlinked("unlinked-self", device.clock.millis());
    online.abort();
  }

  List<Device.DeviceView> devices() {
    List<Device.DeviceView> out = new ArrayList<>();
    for (DeviceInfo info : devices(online.connection(false)).getDevicesList()) {
      out.add(
          new Device.DeviceView(
              info.getDeviceId(),
              info.getName(),
              info.getKind() == DeviceKind.DEVICE_KIND_UNSPECIFIED
                  ? "phone"
                  : info.getKind().name().toLowerCase(Locale.ROOT),
              info.getCreatedAt(),
              info.getLastSeen(),
              info.getDeviceId() == 1,
              info.getDeviceId() == device.local.deviceId(),
              info.getUnlinkAt()));
    }
    return out;
  }

  private static Devices devices(ServerConnection server) {
    return server.call(Request.newBuilder().setGetDevices(GetDevices.getDefaultInstance())).getDevices();
  }
}
