package org.parley.client.messaging;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.Contacts;
import org.parley.client.store.Contacts.Known;
import org.parley.client.store.Contacts.KnownDevice;
import org.parley.protocol.DeviceListException;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.DeviceInfo;
import org.parley.protocol.wire.Devices;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.Request;
import org.signal.libsignal.protocol.IdentityKey;

/**
 * The sender's half of DESIGN.md §3: which devices of an account may be encrypted to. A device is
 * trusted only if it is on the server's record and on the primary's signed list, with a valid
 * linking proof. The primary's identity is pinned on first sight and the list version may never go
 * down; a device the server lists but the primary does not vouch for is declined and reported.
 */
public final class DeviceDirectory {
  private final Contacts contacts;
  private final Clock clock;
  private final Consumer<ClientEvent> events;

  public DeviceDirectory(Contacts contacts, Clock clock, Consumer<ClientEvent> events) {
    this.contacts = contacts;
    this.clock = clock;
    this.events = events;
  }

  /** An account's devices as last verified. */
  public record Account(UUID id, String phone, List<KnownDevice> trusted, List<KnownDevice> declined) {}

  public Optional<Account> cached(UUID account) {
    Optional<Known> known = contacts.byAccount(account);
    if (known.isEmpty() || known.get().verifiedAt() == 0) {
      return Optional.empty();
    }
    return Optional.of(split(known.get(), contacts.devices(account)));
  }

  public Optional<Account> cachedByPhone(String phone) {
    return contacts.byPhone(phone).flatMap(k -> cached(k.account()));
  }

  public Account refresh(ServerConnection server, UUID account) {
    return refresh(server, GetDevices.newBuilder().setAccountId(account.toString()).build());
  }

  public Account refreshByPhone(ServerConnection server, String phone) {
    return refresh(server, GetDevices.newBuilder().setPhone(phone).build());
  }

  private Account refresh(ServerConnection server, GetDevices request) {
    Devices devices = server.call(Request.newBuilder().setGetDevices(request)).getDevices();
    return verify(devices);
  }

  /** Checks what the server listed against the signed list and remembers the outcome. */
  public Account verify(Devices devices) {
    UUID account = UUID.fromString(devices.getAccountId());
    Optional<Known> known = contacts.byAccount(account);
    byte[] pinned = known.map(Known::primaryIdentity).orElse(null);
    long floor = known.map(Known::listVersion).orElse(0L);
    String phone = devices.getPhone();

    VerifiedDeviceList list = null;
    String problem = null;
    if (!devices.hasDeviceList()) {
      problem = "has no device list signed by its primary";
    } else {
      try {
        list = DeviceListSignatures.verify(devices.getDeviceList(), account, null);
        if (list.version() < floor) {
          problem = "offered device list version " + list.version() + ", older than version " + floor + " seen before";
          list = null;
        }
      } catch (DeviceListException e) {
        problem = "offered a device list that does not verify (" + e.getMessage() + ")";
      }
    }
    if (list != null && pinned != null && !Arrays.equals(pinned, list.primaryIdentity().serialize())) {
      events.accept(
          new WarningEvent(
              "safety-number-changed",
              phone + " registered again with a new primary device; their safety number changed."
                  + " Compare it in person with 'parley safety-number " + phone + "'"));
    }
    List<KnownDevice> result = new ArrayList<>();
    for (DeviceInfo device : devices.getDevicesList()) {
      boolean trusted = list != null && vouched(list, device);
      result.add(
          new KnownDevice(
              device.getDeviceId(),
              device.getRegistrationId(),
              device.getIdentityKey().toByteArray(),
              trusted,
              device.getName(),
              device.getKindValue()));
    }
    contacts.verified(
        account,
        phone,
        list != null ? list.primaryIdentity().serialize() : null,
        list != null ? list.version() : 0,
        clock.millis(),
        result);
    Account verified = split(contacts.byAccount(account).orElseThrow(), result);
    if (problem != null) {
      events.accept(
          new WarningEvent(
              "untrusted-device",
              phone + " " + problem + "; its devices get nothing until its primary signs a valid list"));
    } else {
      for (KnownDevice declined : verified.declined()) {
        events.accept(
            new WarningEvent(
                "untrusted-device",
                "device " + declined.deviceId() + " of " + phone
                    + " is not vouched for by its primary's signed device list; it gets nothing"));
      }
    }
    return verified;
  }

  private static boolean vouched(VerifiedDeviceList list, DeviceInfo device) {
    IdentityKey served;
    try {
      served = DeviceListSignatures.identityKey(device.getIdentityKey().toByteArray());
    } catch (DeviceListException e) {
      return false;
    }
    return DeviceListSignatures.verifyDeviceProof(
        list, device.getDeviceId(), served, device.getDeviceSignature().toByteArray());
  }

  private static Account split(Known known, List<KnownDevice> devices) {
    List<KnownDevice> trusted = new ArrayList<>();
    List<KnownDevice> declined = new ArrayList<>();
    for (KnownDevice device : devices) {
      (device.trusted() ? trusted : declined).add(device);
    }
    return new Account(known.account(), known.phone(), trusted, declined);
  }

  /** Whether a device may be believed when it sends: vouched for on the last verified list. */
  public boolean isTrusted(UUID account, int deviceId) {
    return contacts.devices(account).stream().anyMatch(d -> d.deviceId() == deviceId && d.trusted());
  }
}
