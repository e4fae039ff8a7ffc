package org.parley.client.messaging;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.parley.client.ClientException;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.ProfileStore;
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
 * The primary's duty of DESIGN.md §3: the account's signed device list, kept in the primary's own
 * profile (table {@code own_device_lists}) as the truth. Every new list is derived from the newest
 * one the primary published, never from the server's copy, so a companion it removed can never come
 * back on a list whatever the server restores. A list is written down before it is sent ({@link
 * #prepare}) and marked published once the server holds it. Run when the primary connects, {@link
 * #reconcile} re-signs the list when companions went away while it was offline, and refuses, reports
 * and replaces a server copy that is not the list it published.
 */
public final class OwnDeviceList {
  /** Profile setting: the last time the server's copy was refused, for 'parley devices'. */
  public static final String INCIDENT = "device_list_incident";

  private final ProfileStore profile;
  private final IdentityKeyPair identity;
  private final UUID account;
  private final String name;
  private final int kind;
  private final Clock clock;
  private final Consumer<ClientEvent> events;

  public OwnDeviceList(
      ProfileStore profile, IdentityKeyPair identity, UUID account, String name, int kind, Clock clock,
      Consumer<ClientEvent> events) {
    this.profile = profile;
    this.identity = identity;
    this.account = account;
    this.name = name;
    this.kind = kind;
    this.clock = clock;
    this.events = events;
  }

  /** The newest list the primary published, or {@code null} before the first. */
  public VerifiedDeviceList current() {
    SignedDeviceList signed = newest(true);
    return signed == null ? null : verified(signed);
  }

  /** The published list plus one companion, written down as pending under {@code version}. */
  public SignedDeviceList with(DeviceListEntry companion, long version) {
    DeviceList.Builder next = base().list().toBuilder();
    int index = indexOf(next, companion.getDeviceId());
    if (index >= 0) {
      next.removeEntries(index);
    }
    return prepare(next.addEntries(companion), version);
  }

  /** The published list without one companion, written down as pending under {@code version}. */
  public SignedDeviceList without(int deviceId, long version) {
    DeviceList.Builder next = base().list().toBuilder();
    int index = indexOf(next, deviceId);
    if (index >= 0) {
      next.removeEntries(index);
    }
    return prepare(next, version);
  }

  /** The server holds this list now. */
  public void published(SignedDeviceList list) {
    long version = verified(list).version();
    profile.transaction(c -> {
      try (PreparedStatement mark =
          c.prepareStatement("UPDATE own_device_lists SET published = 1 WHERE version = ?")) {
        mark.setLong(1, version);
        mark.executeUpdate();
      }
      // Older lists are never a base again; one is kept only to recognise a replay in a report.
      try (PreparedStatement prune = c.prepareStatement("DELETE FROM own_device_lists WHERE version < ?")) {
        prune.setLong(1, version);
        prune.executeUpdate();
      }
      return null;
    });
  }

  /**
   * Makes the server's list the one this primary published, with the companions the server no
   * longer has left out. Returns true if it signed a new list.
   */
  public boolean reconcile(ServerConnection server) {
    Devices devices = server.call(Request.newBuilder().setGetDevices(GetDevices.getDefaultInstance())).getDevices();
    SignedDeviceList onServer = devices.hasDeviceList() ? devices.getDeviceList() : null;
    SignedDeviceList pending = newest(false);
    if (pending != null && pending.equals(onServer)) {
      published(pending); // sent before a crash (or by the companion it vouches for), and it arrived
    }
    profile.transaction(c -> {
      try (PreparedStatement drop = c.prepareStatement("DELETE FROM own_device_lists WHERE published = 0")) {
        drop.executeUpdate();
      }
      return null;
    });
    SignedDeviceList published = newest(true);
    if (published == null && onServer != null && signedByMe(onServer)) {
      // A profile from before the primary kept its lists: the server's copy is the only one there is.
      prepare(verified(onServer).list().toBuilder(), verified(onServer).version(), onServer);
      published(onServer);
      published = onServer;
    }
    // What the list says, and what the server stores it under (an operator may write one over the other).
    long serverVersion = Math.max(onServer == null ? 0 : versionOf(onServer), devices.getNextDeviceListVersion() - 1);
    Set<Integer> onRecord = new HashSet<>();
    for (DeviceInfo device : devices.getDevicesList()) {
      onRecord.add(device.getDeviceId());
    }
    DeviceList.Builder next;
    long base;
    if (published == null) {
      next = DeviceList.newBuilder().setAccountId(account.toString()).addEntries(self());
      base = 0;
    } else {
      VerifiedDeviceList mine = verified(published);
      next = DeviceList.newBuilder().setAccountId(account.toString()).addEntries(self());
      for (DeviceListEntry entry : mine.list().getEntriesList()) {
        if (entry.getDeviceId() != DeviceListSignatures.PRIMARY_DEVICE_ID && onRecord.contains(entry.getDeviceId())) {
          next.addEntries(entry);
        }
      }
      boolean same = published.equals(onServer);
      if (same && next.getEntriesCount() == mine.list().getEntriesCount()) {
        return false;
      }
      if (!same) {
        refused(onServer, serverVersion, mine.version());
      }
      base = mine.version();
    }
    SignedDeviceList list = prepare(next, Math.max(base, serverVersion) + 1);
    server.call(Request.newBuilder().setPutDeviceList(PutDeviceList.newBuilder().setDeviceList(list)));
    published(list);
    return true;
  }

  /** The server's copy is not the list this primary published: reported, then replaced. */
  private void refused(SignedDeviceList onServer, long serverVersion, long mine) {
    String what =
        onServer == null
            ? "no device list"
            : "a device list (version " + serverVersion + ") that is not the one this primary published (version "
                + mine + ")";
    String message =
        "the server offered " + what + "; it was refused and replaced by this primary's own list"
            + " (a server that restores removed devices or old lists is misbehaving)";
    profile.putText(INCIDENT, clock.millis() + " " + message);
    events.accept(new WarningEvent("device-list-refused", message));
  }

  /** The last time the server's copy was refused ("EPOCH_MS sentence"), or {@code null}. */
  public static String incident(ProfileStore profile) {
    return profile.text(INCIDENT);
  }

  private VerifiedDeviceList base() {
    VerifiedDeviceList current = current();
    if (current == null) {
      throw new ClientException(
          "this primary has not published its device list yet; connect it to the server first and try again");
    }
    return current;
  }

  private SignedDeviceList prepare(DeviceList.Builder next, long version) {
    SignedDeviceList signed =
        DeviceListSignatures.sign(
            next.setAccountId(account.toString()).setVersion(version).setIssuedAt(clock.millis()).build(), identity);
    prepare(next, version, signed);
    return signed;
  }

  private void prepare(DeviceList.Builder next, long version, SignedDeviceList signed) {
    profile.transaction(c -> {
      try (PreparedStatement put =
          c.prepareStatement(
              "INSERT OR REPLACE INTO own_device_lists (version, signed_list, published) VALUES (?,?,0)")) {
        put.setLong(1, version);
        put.setBytes(2, signed.toByteArray());
        return put.executeUpdate();
      }
    });
  }

  private SignedDeviceList newest(boolean published) {
    return profile.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT signed_list FROM own_device_lists WHERE published = ? ORDER BY version DESC LIMIT 1")) {
        select.setInt(1, published ? 1 : 0);
        try (ResultSet rs = select.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          try {
            return SignedDeviceList.parseFrom(rs.getBytes(1));
          } catch (InvalidProtocolBufferException e) {
            throw new SQLException("a device list this primary signed is damaged", e);
          }
        }
      }
    });
  }

  private VerifiedDeviceList verified(SignedDeviceList signed) {
    try {
      return DeviceListSignatures.verify(signed, account, identity.getPublicKey());
    } catch (DeviceListException e) {
      throw new ClientException("a device list this primary signed does not verify (" + e.getMessage() + ")", e);
    }
  }

  private boolean signedByMe(SignedDeviceList signed) {
    try {
      DeviceListSignatures.verify(signed, account, identity.getPublicKey());
      return true;
    } catch (DeviceListException e) {
      return false;
    }
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

  /** The version of a list this primary may not be able to verify (an earlier primary of the number). */
  private static long versionOf(SignedDeviceList list) {
    try {
      return DeviceList.parseFrom(list.getList()).getVersion();
    } catch (InvalidProtocolBufferException e) {
      return 0;
    }
  }
}
