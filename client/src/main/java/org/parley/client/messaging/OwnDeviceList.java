package org.parley.client.messaging;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.parley.client.net.ServerConnection;
import org.parley.protocol.DeviceListException;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.DeviceInfo;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.Devices;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.PutDeviceList;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SignedDeviceList;
import org.signal.libsignal.protocol.IdentityKeyPair;

/**
 * The primary's duty of DESIGN.md §3: keep the account's signed device list equal to the devices
 * the server really has. Run when the primary connects, it re-signs the list when companions went
 * away while it was offline (unlinked themselves, removed for inactivity) or when none was ever
 * published (a crash right after registration).
 */
public final class OwnDeviceList {
  private final IdentityKeyPair identity;
  private final UUID account;
  private final String name;
  private final int kind;
  private final Clock clock;

  public OwnDeviceList(IdentityKeyPair identity, UUID account, String name, int kind, Clock clock) {
    this.identity = identity;
    this.account = account;
    this.name = name;
    this.kind = kind;
    this.clock = clock;
  }

  /** The list a new primary publishes: itself alone. */
  public SignedDeviceList initial(long version) {
    return DeviceListSignatures.sign(
        DeviceList.newBuilder()
            .setAccountId(account.toString())
            .setVersion(version)
            .setIssuedAt(clock.millis())
            .addEntries(self())
            .build(),
        identity);
  }

  /** The current list plus one companion. */
  public SignedDeviceList with(SignedDeviceList current, DeviceListEntry companion, long version)
      throws DeviceListException {
    VerifiedDeviceList verified = DeviceListSignatures.verify(current, account, identity.getPublicKey());
    DeviceList.Builder next = verified.list().toBuilder().setVersion(version).setIssuedAt(clock.millis());
    int index = indexOf(next, companion.getDeviceId());
    if (index >= 0) {
      next.removeEntries(index);
    }
    next.addEntries(companion);
    return DeviceListSignatures.sign(next.build(), identity);
  }

  /** The current list without one companion. */
  public SignedDeviceList without(SignedDeviceList current, int deviceId, long version) throws DeviceListException {
    VerifiedDeviceList verified = DeviceListSignatures.verify(current, account, identity.getPublicKey());
    DeviceList.Builder next = verified.list().toBuilder().setVersion(version).setIssuedAt(clock.millis());
    int index = indexOf(next, deviceId);
    if (index >= 0) {
      next.removeEntries(index);
    }
    return DeviceListSignatures.sign(next.build(), identity);
  }

  /** Re-signs the list if it does not match the server's devices; returns true if it did. */
  public boolean reconcile(ServerConnection server) {
    Devices devices = server.call(Request.newBuilder().setGetDevices(GetDevices.getDefaultInstance())).getDevices();
    Set<Integer> onServer = new HashSet<>();
    for (DeviceInfo device : devices.getDevicesList()) {
      onServer.add(device.getDeviceId());
    }
    long storedVersion = 0;
    DeviceList.Builder next;
    if (devices.hasDeviceList()) {
      VerifiedDeviceList verified;
      try {
        verified = DeviceListSignatures.verify(devices.getDeviceList(), account, identity.getPublicKey());
      } catch (DeviceListException e) {
        verified = null;
      }
      if (verified != null && verified.deviceIds().equals(onServer)) {
        return false;
      }
      next = DeviceList.newBuilder().setAccountId(account.toString()).addEntries(self());
      if (verified != null) {
        storedVersion = verified.version();
        for (DeviceListEntry entry : verified.list().getEntriesList()) {
          if (entry.getDeviceId() != DeviceListSignatures.PRIMARY_DEVICE_ID && onServer.contains(entry.getDeviceId())) {
            next.addEntries(entry);
          }
        }
      } else {
        storedVersion = versionOf(devices.getDeviceList());
      }
    } else {
      next = DeviceList.newBuilder().setAccountId(account.toString()).addEntries(self());
    }
    next.setVersion(storedVersion + 1).setIssuedAt(clock.millis());
    server.call(
        Request.newBuilder()
            .setPutDeviceList(PutDeviceList.newBuilder().setDeviceList(DeviceListSignatures.sign(next.build(), identity))));
    return true;
  }

  private DeviceListEntry self() {
    return DeviceListEntry.newBuilder()
        .setDeviceId(DeviceListSignatures.PRIMARY_DEVICE_ID)
        .setIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
        .setAddedAt(0)
        .setKind(kind == 0 ? DeviceKind.PHONE : DeviceKind.forNumber(kind))
        .setName(name == null ? "" : name)
        .build();
  }

  private static int indexOf(DeviceList.Builder list, int deviceId) {
    for (int i = 0; i < list.getEntriesCount(); i++) {
      if (list.getEntries(i).getDeviceId() == deviceId) {
        return i;
      }
    }
    return -1;
  }

  /** The version of a list this primary cannot verify (signed by an earlier primary of the number). */
  private static long versionOf(SignedDeviceList list) {
    try {
      return DeviceList.parseFrom(list.getList()).getVersion();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return 0;
    }
  }
}
