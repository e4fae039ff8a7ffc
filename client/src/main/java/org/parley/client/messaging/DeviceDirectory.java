package org.parley.client.messaging;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
import org.parley.client.store.SignalStore;
import org.parley.client.store.TrustPolicy;
import org.parley.protocol.DeviceListException;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.DeviceInfo;
import org.parley.protocol.wire.Devices;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.Request;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.state.SessionRecord;

/**
 * The sender's half of DESIGN.md §3: which devices of an account may be encrypted to, and which
 * identity key each may use. A device is trusted only if it is on the server's record and on the
 * primary's signed list, with a valid linking proof. The primary's identity is pinned on first sight;
 * the list version may never go down, and a second, different list with the same version is refused
 * (the server equivocates). A device the server lists but the primary does not vouch for is declined
 * and reported. When the primary identity changes (the number was registered again), {@link
 * TrustPolicy} and the contact's verified mark decide whether the new one is accepted or held.
 */
public final class DeviceDirectory {
  private final Contacts contacts;
  private final SignalStore signal;
  private final TrustPolicy policy;
  private final Clock clock;
  private final Consumer<ClientEvent> events;

  public DeviceDirectory(
      Contacts contacts, SignalStore signal, TrustPolicy policy, Clock clock, Consumer<ClientEvent> events) {
    this.contacts = contacts;
    this.signal = signal;
    this.policy = policy;
    this.clock = clock;
    this.events = events;
  }

  /**
   * An account's devices as last verified.
   *
   * @param held its new primary identity waits for the user's 'parley trust': nothing goes to it
   */
  public record Account(UUID id, String phone, List<KnownDevice> trusted, List<KnownDevice> declined, boolean held) {}

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
    byte[] seenHash = known.map(Known::listHash).orElse(null);
    String phone = devices.getPhone();

    VerifiedDeviceList list = null;
    byte[] hash = null;
    String problem = null;
    if (!devices.hasDeviceList()) {
      problem = "has no device list signed by its primary";
    } else {
      // The signed bytes, not the signature: signatures are randomized, a list is what it says.
      hash = sha256(devices.getDeviceList().getList().toByteArray());
      try {
        list = DeviceListSignatures.verify(devices.getDeviceList(), account, null);
        if (list.version() < floor) {
          problem = "offered device list version " + list.version() + ", older than version " + floor + " seen before";
          list = null;
        } else if (list.version() == floor && seenHash != null && !Arrays.equals(seenHash, hash)) {
          problem =
              "offered a second, different device list with version " + list.version()
                  + " than the one seen before (the server equivocates); it is refused";
          list = null;
        }
      } catch (DeviceListException e) {
        problem = "offered a device list that does not verify (" + e.getMessage() + ")";
      }
    }
    Contacts.Verification verification = decide(known, list, hash);
    List<KnownDevice> result = new ArrayList<>();
    for (DeviceInfo device : devices.getDevicesList()) {
      boolean trusted = list != null && verification.pendingIdentity() == null && vouched(list, device);
      result.add(
          new KnownDevice(
              device.getDeviceId(),
              device.getRegistrationId(),
              device.getIdentityKey().toByteArray(),
              trusted,
              device.getName(),
              device.getKindValue()));
    }
    contacts.verified(account, phone, verification, clock.millis(), result);
    forgetUnvouchedSessions(account, result);
    Account verified = split(contacts.byAccount(account).orElseThrow(), result);
    if (problem != null) {
      events.accept(
          new WarningEvent(
              problem.contains("equivocates") ? "device-list-equivocation" : "untrusted-device",
              phone + " " + problem + "; its devices get nothing until its primary signs a valid list"));
    } else if (!verified.held()) {
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

  /**
   * Which primary identity to trust: the pinned one; the first one seen; or, when it changed, the new
   * one unless the contact was verified or the policy is {@code never} (then the new one is held).
   */
  private Contacts.Verification decide(Optional<Known> known, VerifiedDeviceList list, byte[] hash) {
    byte[] pinned = known.map(Known::primaryIdentity).orElse(null);
    byte[] pending = known.map(Known::pendingIdentity).orElse(null);
    if (list == null) {
      return new Contacts.Verification(null, pending, 0, null, false, null);
    }
    byte[] shown = list.primaryIdentity().serialize();
    if (pinned == null || Arrays.equals(pinned, shown)) {
      return new Contacts.Verification(shown, null, list.version(), hash, false, null);
    }
    if (Arrays.equals(pending, shown)) {
      return new Contacts.Verification(null, pending, list.version(), hash, false, null);
    }
    boolean hold = known.get().verified() || policy == TrustPolicy.NEVER;
    return hold
        ? new Contacts.Verification(null, shown, list.version(), hash, true, pinned)
        : new Contacts.Verification(shown, null, list.version(), hash, true, pinned);
  }

  /**
   * A session may exist only under the identity key the list vouches for: one with a device that is
   * no longer trusted, or under another key (the device registered again), is dropped.
   */
  private void forgetUnvouchedSessions(UUID account, List<KnownDevice> devices) {
    for (SignalProtocolAddress address : sessionAddresses(account)) {
      byte[] vouched = contacts.vouchedKey(account, address.getDeviceId());
      SessionRecord session = signal.loadSession(address);
      if (session == null) {
        continue;
      }
      if (vouched == null || !Arrays.equals(vouched, session.getRemoteIdentityKey().serialize())) {
        signal.deleteSession(address);
      }
    }
  }

  private List<SignalProtocolAddress> sessionAddresses(UUID account) {
    List<SignalProtocolAddress> out = new ArrayList<>();
    out.add(new SignalProtocolAddress(account.toString(), DeviceListSignatures.PRIMARY_DEVICE_ID));
    for (int id : signal.getSubDeviceSessions(account.toString())) {
      out.add(new SignalProtocolAddress(account.toString(), id));
    }
    return out;
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
      (device.trusted() && !known.held() ? trusted : declined).add(device);
    }
    return new Account(known.account(), known.phone(), trusted, declined, known.held());
  }

  /** Whether a device may be believed when it sends: vouched for on the last verified list. */
  public boolean isTrusted(UUID account, int deviceId) {
    return contacts.vouchedKey(account, deviceId) != null;
  }

  /** The identity key the last verified list vouches for at this device, or {@code null}. */
  public byte[] vouchedKey(UUID account, int deviceId) {
    return contacts.vouchedKey(account, deviceId);
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
