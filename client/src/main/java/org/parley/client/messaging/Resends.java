package org.parley.client.messaging;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.GroupStore;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.RetryRequest;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.DecryptionErrorMessage;

/**
 * The sending half of retry requests: what this device sent lately is kept (a bounded time and count)
 * so that a device that could not decrypt it can ask for it again, and gets it again, encrypted anew
 * to it alone.
 *
 * <p>Who may ask: only a vouched device (the request is encrypted content, so the sender check and
 * identity pinning apply before it is read), of the account the message was sent to, or of a current
 * member of the group it was sent in. The message goes again only to that device, encrypted to the
 * identity its primary vouches for, never to a key the request names. Each device gets a message again
 * at most {@link #MAX_RESENDS} times.
 */
public final class Resends {
  /** Kept this long after sending; a device that has not asked by then gets nothing again. */
  static final Duration KEEP = Duration.ofDays(1);
  /** Kept at most this many messages; the oldest go first. */
  static final int KEEP_COUNT = 2000;
  static final int MAX_RESENDS = 2;
  /** Sends between two prunings of what is kept: at most this many over {@link #KEEP_COUNT}. */
  static final int PRUNE_EVERY = 64;
  /** Requests waiting to be answered, at most; more are dropped (the asking device asks again later). */
  static final int MAX_OWED = 1000;

  private final ProfileStore profile;
  private final Clock clock;

  public Resends(ProfileStore profile, Clock clock) {
    this.profile = profile;
    this.clock = clock;
  }

  /**
   * After the server took a message: keeps its content under its timestamp, for the account it went
   * to ({@code recipient}) or the group ({@code groupId}).
   */
  public void sent(long timestamp, UUID recipient, String groupId, Content content) {
    long now = clock.millis();
    profile.transaction(c -> {
      // Runs for every message sent: the insert and the rowid lookup are the profile's cached statements.
      PreparedStatement insert =
          profile.statement("INSERT INTO sent_log (timestamp, recipient, group_id, content, sent_at) VALUES (?,?,?,?,?)");
      insert.setLong(1, timestamp);
      insert.setString(2, recipient == null ? null : recipient.toString());
      insert.setString(3, groupId);
      insert.setBytes(4, content.toByteArray());
      insert.setLong(5, now);
      insert.executeUpdate();
      long seq;
      try (ResultSet rs = profile.statement("SELECT last_insert_rowid()").executeQuery()) {
        seq = rs.next() ? rs.getLong(1) : 0;
      }
      if (seq % PRUNE_EVERY != 0) {
        return 0; // what is too old is never served (see kept); pruning now and then keeps sends cheap
      }
      try (PreparedStatement prune = c.prepareStatement("DELETE FROM sent_log WHERE sent_at < ? OR seq <= ?")) {
        prune.setLong(1, now - KEEP.toMillis());
        prune.setLong(2, seq - KEEP_COUNT);
        prune.executeUpdate();
      }
      try (PreparedStatement prune = c.prepareStatement("DELETE FROM resends WHERE asked_at < ?")) {
        prune.setLong(1, now - KEEP.toMillis());
        return prune.executeUpdate();
      }
    });
  }

  /**
   * Inside the transaction of the (decrypted, believed) envelope carrying the request: notes that the
   * asking device is owed the message again. Whether it may have it is decided when it is sent.
   */
  void asked(UUID requester, int device, RetryRequest request, List<ClientEvent> events) {
    long timestamp;
    try {
      timestamp = new DecryptionErrorMessage(request.getDecryptionError().toByteArray()).getTimestamp();
    } catch (InvalidKeyException | InvalidMessageException | RuntimeException | AssertionError e) {
      events.add(new WarningEvent("bad-retry-request", "a retry request could not be read; ignored"));
      return;
    }
    profile.transaction(c -> {
      try (PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM resends WHERE state = 'owed'");
          ResultSet rs = count.executeQuery()) {
        if (rs.next() && rs.getInt(1) >= MAX_OWED) {
          return 0;
        }
      }
      try (PreparedStatement upsert =
          c.prepareStatement(
              "INSERT INTO resends (requester, requester_device, timestamp, state, asked, asked_at)"
                  + " VALUES (?,?,?,'owed',1,?) ON CONFLICT (requester, requester_device, timestamp) DO UPDATE SET"
                  + " state = CASE WHEN asked < ? THEN 'owed' ELSE state END, asked = asked + 1, asked_at = excluded.asked_at")) {
        upsert.setString(1, requester.toString());
        upsert.setInt(2, device);
        upsert.setLong(3, timestamp);
        upsert.setLong(4, clock.millis());
        upsert.setInt(5, MAX_RESENDS);
        return upsert.executeUpdate();
      }
    });
  }

  private record Owed(UUID requester, int device, long timestamp) {}

  private record Kept(UUID recipient, String groupId, Content content) {}

  /**
   * Once the queue has been taken in: sends every message owed to a device that asked and may have it.
   * Returns what to show (failures; refusals are silent, an asking device cannot be told apart from a
   * curious one).
   */
  public List<ClientEvent> flush(
      ServerConnection server, MessageSender sender, GroupStore groups, SignalStore signal, UUID ownAccount,
      int ownDevice) {
    List<ClientEvent> events = new ArrayList<>();
    for (Owed owed : owed()) {
      Optional<Content> again = content(owed, groups, signal, MessageSender.address(ownAccount, ownDevice));
      try {
        if (again.isPresent()) {
          sender.sendToDevice(server, owed.requester(), owed.device(), again.get(), owed.timestamp());
        }
        done(owed);
      } catch (ClientException e) {
        if (MessageSender.stopsTheRound(server, e)) {
          events.add(
              new WarningEvent(
                  "resend-failed",
                  "a message asked for again could not be sent yet (" + e.getMessage() + "); tried again later"));
          break; // the connection or the server is not there now; the rest waits for the next round
        }
        // Refused for this device alone (not vouched for, identity held): it is not sent to it, and
        // the others still get theirs. It may ask again (up to the bound).
        events.add(
            new WarningEvent(
                "resend-failed", "a message asked for again was not sent to that device (" + e.getMessage() + ")"));
        done(owed);
      }
    }
    return events;
  }

  /** The message to send again, if it is still kept and the asking device's account may have it. */
  private Optional<Content> content(Owed owed, GroupStore groups, SignalStore signal, SignalProtocolAddress self) {
    for (Kept kept : kept(owed.timestamp())) {
      if (owed.requester().equals(kept.recipient())) {
        return Optional.of(kept.content());
      }
      if (kept.groupId() == null) {
        continue;
      }
      Optional<LocalGroup> group = groups.get(kept.groupId()).filter(LocalGroup::member);
      if (group.isEmpty() || !group.get().isMember(owed.requester())) {
        continue;
      }
      // Sent pairwise this time, with the group's current key: what it could not read was most
      // likely a message under a key it never got, and the next ones use that key too.
      Content.Builder again = kept.content().toBuilder();
      Optional<UUID> distribution = groups.distributionId(kept.groupId());
      if (distribution.isPresent()) {
        again
            .setSenderKeyDistribution(
                ByteString.copyFrom(new GroupSessionBuilder(signal).create(self, distribution.get()).serialize()))
            .setSenderKeyGroup(kept.groupId());
      }
      return Optional.of(again.build());
    }
    return Optional.empty();
  }

  private List<Kept> kept(long timestamp) {
    return profile.read(c -> {
      List<Kept> out = new ArrayList<>();
      try (PreparedStatement select =
          c.prepareStatement("SELECT recipient, group_id, content FROM sent_log WHERE timestamp = ? AND sent_at >= ?")) {
        select.setLong(1, timestamp);
        select.setLong(2, clock.millis() - KEEP.toMillis());
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            try {
              out.add(
                  new Kept(
                      rs.getString(1) == null ? null : UUID.fromString(rs.getString(1)), rs.getString(2),
                      Content.parseFrom(rs.getBytes(3))));
            } catch (InvalidProtocolBufferException e) {
              // Written by this device from a built message: cannot happen; skip rather than fail.
            }
          }
        }
      }
      return out;
    });
  }

  private List<Owed> owed() {
    return profile.read(c -> {
      List<Owed> out = new ArrayList<>();
      try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT requester, requester_device, timestamp FROM resends WHERE state = 'owed' ORDER BY asked_at LIMIT "
                      + MAX_OWED);
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          out.add(new Owed(UUID.fromString(rs.getString(1)), rs.getInt(2), rs.getLong(3)));
        }
      }
      return out;
    });
  }

  private void done(Owed owed) {
    profile.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE resends SET state = 'sent' WHERE requester = ? AND requester_device = ? AND timestamp = ?")) {
        update.setString(1, owed.requester().toString());
        update.setInt(2, owed.device());
        update.setLong(3, owed.timestamp());
        return update.executeUpdate();
      }
    });
  }
}
