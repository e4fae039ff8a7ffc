package org.parley.client.messaging;

import com.google.protobuf.ByteString;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.WaitingEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.RetryRequest;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.DecryptionErrorMessage;

/**
 * The receiving half of retry requests: a message this device could not decrypt (a lost or corrupted
 * session, a missing sender key) is not dropped silently. Its place in the chat says "waiting for this
 * message", and the device that sent it is asked to send it again (to this device only). Asking is
 * bounded: at most {@link #ATTEMPTS} times, {@link #ASK_AGAIN_AFTER} apart, and never after {@link
 * #GIVE_UP_AFTER}; then the placeholder says it was given up.
 *
 * <p>A message is known by its sender device and its timestamp (the envelope's client timestamp):
 * the sender keeps what it sent under that, and sends it again under it, so its arrival finds the
 * placeholder.
 */
public final class RetryRequests {
  static final int ATTEMPTS = 3;
  static final Duration ASK_AGAIN_AFTER = Duration.ofHours(1);
  /** Longer than a sender keeps what it sent ({@link Resends#KEEP}): after that nothing can come. */
  static final Duration GIVE_UP_AFTER = Duration.ofDays(2);
  /** Failed messages waited for at once; beyond that a failure is only reported, not asked for. */
  static final int MAX_WAITING = 1000;

  static final String OWED = "owed";
  static final String ASKED = "asked";

  private final ProfileStore profile;
  private final SignalStore signal;
  private final Clock clock;

  public RetryRequests(ProfileStore profile, SignalStore signal, Clock clock) {
    this.profile = profile;
    this.signal = signal;
    this.clock = clock;
  }

  /**
   * Inside the failed envelope's transaction: remembers it, to be asked for once the queue is taken
   * in, and leaves a placeholder in its chat. Returns the event to show, or {@code null} when it
   * cannot be asked for (too many waiting, or an envelope libsignal cannot describe).
   *
   * @param resetSession the pairwise session with the sender is broken: start a fresh one to ask
   */
  WaitingEvent failed(Envelope envelope, UUID sender, boolean resetSession) {
    int device = envelope.getSourceDevice();
    long timestamp = envelope.getClientTimestamp();
    String group = envelope.getGroupId().isEmpty() ? null : envelope.getGroupId();
    byte[] error;
    try {
      error =
          DecryptionErrorMessage.forOriginalMessage(
                  envelope.getContent().toByteArray(), libsignalType(envelope.getType()), timestamp, device)
              .serialize();
    } catch (RuntimeException | AssertionError e) {
      // Not even the outline of a message: nothing a sender could recognise. (libsignal reports a
      // parse failure here as an AssertionError wrapping an undeclared InvalidMessageException;
      // letting it through would wedge the receive loop on a server's garbage.)
      return null;
    }
    return profile.transaction(c -> {
      try (PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM retry_requests WHERE state != 'given-up'");
          ResultSet rs = count.executeQuery()) {
        if (rs.next() && rs.getInt(1) >= MAX_WAITING) {
          return null;
        }
      }
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT OR IGNORE INTO retry_requests (sender, sender_device, timestamp, sender_phone, group_id,"
                  + " decryption_error, reset_session, state, failed_at) VALUES (?,?,?,?,?,?,?,?,?)")) {
        insert.setString(1, sender.toString());
        insert.setInt(2, device);
        insert.setLong(3, timestamp);
        insert.setString(4, envelope.getSourcePhone());
        insert.setString(5, group);
        insert.setBytes(6, error);
        insert.setInt(7, resetSession ? 1 : 0);
        insert.setString(8, OWED);
        insert.setLong(9, clock.millis());
        insert.executeUpdate();
      }
      MessageHistory.Entry placeholder =
          new MessageHistory.Entry(
              sender, placeholderId(device, timestamp), device, group == null ? sender : null, group, false,
              "[waiting for this message]", timestamp, envelope.getServerTimestamp(), WaitingEvent.WAITING);
      new MessageHistory(profile).add(placeholder);
      return new WaitingEvent(
          WaitingEvent.WAITING, envelope.getSourcePhone(), device, group, timestamp,
          "waiting for this message: it could not be decrypted here, and " + envelope.getSourcePhone()
              + "'s device " + device + " is asked to send it again");
    });
  }

  /**
   * Inside the transaction of an envelope that decrypted: if it is a message this device waited for,
   * it is no longer waited for and its placeholder goes (the message itself takes its place).
   */
  void arrived(UUID sender, int device, long timestamp) {
    // Runs for every envelope that decrypts: the statements are the profile's cached ones.
    profile.transaction(c -> {
      PreparedStatement request =
          profile.statement("DELETE FROM retry_requests WHERE sender = ? AND sender_device = ? AND timestamp = ?");
      request.setString(1, sender.toString());
      request.setInt(2, device);
      request.setLong(3, timestamp);
      request.executeUpdate();
      PreparedStatement placeholder = profile.statement("DELETE FROM messages WHERE author_account = ? AND id = ?");
      placeholder.setString(1, sender.toString());
      placeholder.setString(2, placeholderId(device, timestamp));
      return placeholder.executeUpdate();
    });
  }

  private record Pending(
      UUID sender, int device, long timestamp, String phone, String group, byte[] error, boolean reset, String state,
      int attempts, long failedAt, long askedAt) {}

  /**
   * Once the queue has been taken in: asks for what is owed and what was asked for a while ago and has
   * not come, and gives up on what has been asked for often or long enough. Returns what to show.
   */
  public List<ClientEvent> flush(ServerConnection server, MessageSender sender) {
    long now = clock.millis();
    List<ClientEvent> events = new ArrayList<>();
    List<UUID> reset = new ArrayList<>();
    for (Pending pending : pending()) {
      boolean due = pending.state().equals(OWED) || now - pending.askedAt() >= ASK_AGAIN_AFTER.toMillis();
      if (!due) {
        continue;
      }
      if (pending.attempts() >= ATTEMPTS || now - pending.failedAt() >= GIVE_UP_AFTER.toMillis()) {
        events.add(giveUp(pending));
        continue;
      }
      if (pending.reset() && pending.attempts() == 0 && !reset.contains(pending.sender())) {
        // The session cannot decrypt what comes under it: ask over a fresh one (a PreKey message),
        // which the sender takes as the session from now on. Once per sender in a round.
        signal.deleteSession(MessageSender.address(pending.sender(), pending.device()));
        reset.add(pending.sender());
      }
      Content request =
          Content.newBuilder()
              .setRetryRequest(
                  RetryRequest.newBuilder()
                      .setDecryptionError(ByteString.copyFrom(pending.error()))
                      .setGroupId(pending.group() == null ? "" : pending.group()))
              .build();
      try {
        sender.sendToDevice(server, pending.sender(), pending.device(), request, now);
        asked(pending, now);
      } catch (ClientException e) {
        events.add(
            new WarningEvent(
                "retry-request-failed",
                "could not ask " + pending.phone() + " device " + pending.device() + " to send a message again yet ("
                    + e.getMessage() + "); asked again later"));
        if (MessageSender.stopsTheRound(server, e)) {
          break; // the connection or the server is not there now; the rest waits for the next round
        }
        // Refused for this sender alone (not vouched for, identity held): it counts as an attempt,
        // so it is given up in time, and the others are still asked.
        asked(pending, now);
      }
    }
    return events;
  }

  private List<Pending> pending() {
    return profile.read(c -> {
      List<Pending> out = new ArrayList<>();
      try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT sender, sender_device, timestamp, sender_phone, group_id, decryption_error, reset_session,"
                      + " state, attempts, failed_at, asked_at FROM retry_requests WHERE state != 'given-up'"
                      + " ORDER BY failed_at LIMIT " + MAX_WAITING);
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Pending(
                  UUID.fromString(rs.getString(1)), rs.getInt(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                  rs.getBytes(6), rs.getInt(7) == 1, rs.getString(8), rs.getInt(9), rs.getLong(10), rs.getLong(11)));
        }
      }
      return out;
    });
  }

  private void asked(Pending pending, long now) {
    profile.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE retry_requests SET state = ?, attempts = attempts + 1, asked_at = ?"
                  + " WHERE sender = ? AND sender_device = ? AND timestamp = ?")) {
        update.setString(1, ASKED);
        update.setLong(2, now);
        update.setString(3, pending.sender().toString());
        update.setInt(4, pending.device());
        update.setLong(5, pending.timestamp());
        return update.executeUpdate();
      }
    });
  }

  private WaitingEvent giveUp(Pending pending) {
    String text =
        "this message from " + pending.phone() + " could not be decrypted; it was asked for again "
            + pending.attempts() + " time(s) and did not come: given up";
    profile.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE retry_requests SET state = 'given-up' WHERE sender = ? AND sender_device = ? AND timestamp = ?")) {
        update.setString(1, pending.sender().toString());
        update.setInt(2, pending.device());
        update.setLong(3, pending.timestamp());
        update.executeUpdate();
      }
      try (PreparedStatement update =
          c.prepareStatement("UPDATE messages SET status = ?, body = ? WHERE author_account = ? AND id = ?")) {
        update.setString(1, WaitingEvent.GIVEN_UP);
        update.setString(2, "[" + text + "]");
        update.setString(3, pending.sender().toString());
        update.setString(4, placeholderId(pending.device(), pending.timestamp()));
        update.executeUpdate();
      }
      // Given-up rows only keep a late arrival from being asked for again; they go with their age.
      try (PreparedStatement delete =
          c.prepareStatement("DELETE FROM retry_requests WHERE state = 'given-up' AND failed_at < ?")) {
        delete.setLong(1, clock.millis() - 2 * GIVE_UP_AFTER.toMillis());
        return delete.executeUpdate();
      }
    });
    return new WaitingEvent(
        WaitingEvent.GIVEN_UP, pending.phone(), pending.device(), pending.group(), pending.timestamp(), text);
  }

  /** The placeholder's id in the history: unlike a message id, derived from what the failure tells. */
  static String placeholderId(int device, long timestamp) {
    return "waiting-" + device + "-" + timestamp;
  }

  private static int libsignalType(CiphertextType type) {
    return switch (type) {
      case PREKEY -> CiphertextMessage.PREKEY_TYPE;
      case SENDER_KEY -> CiphertextMessage.SENDERKEY_TYPE;
      default -> CiphertextMessage.WHISPER_TYPE;
    };
  }
}
