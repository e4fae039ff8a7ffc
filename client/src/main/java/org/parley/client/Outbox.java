package org.parley.client;

import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.messaging.ContentProcessor;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.Contacts;
import org.parley.client.store.MessageHistory;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.DataMessage;

/**
 * What this device writes goes out in order, also when the server cannot be reached (a restart, a
 * lost node, no network): the message is then kept here, shown as {@code pending} (in the history
 * and as a {@code sent} event), and sent, oldest first, once the device is connected again; a
 * {@code sent} event with status {@code sent} follows. A retry sends the same message (the same
 * id): if the first try reached the server and only its answer was lost, the receiving devices
 * drop the second copy. Messages wait here at most {@link #MAX_WAITING} at a time.
 */
final class Outbox {
  static final int MAX_WAITING = 1000;
  static final String PENDING = "pending";
  static final String SENT = "sent";
  static final String FAILED = "failed";

  /** Sends one message now; throws ClientException as a send does. */
  @FunctionalInterface
  interface Delivery {
    Device.SendResult deliver(Waiting message);
  }

  /** A message waiting to go: to a contact ({@code recipient}) or to a group. */
  record Waiting(long seq, String recipient, String groupId, DataMessage data) {}

  private final DeviceContext device;
  private final Delivery delivery;
  /**
   * Whether the last try ended with the server answering that it could not store the message (as
   * opposed to not answering at all): only then is it worth trying again on the same connection.
   */
  private volatile boolean refusedByServer;

  Outbox(DeviceContext device, Delivery delivery) {
    this.device = device;
    this.delivery = delivery;
  }

  /**
   * A server that failed to store a send ({@code INTERNAL}) is asked again at most this many times
   * before the message is marked failed, so that one message the server cannot take does not hold
   * every later one back for ever.
   */
  static final int MAX_STORE_FAILURES = 10;

  /**
   * A failure after which the same message may well go through later. That includes a send the
   * server failed to store ({@code INTERNAL}, {@code UNAVAILABLE}): the server hands envelopes to
   * connected devices before its commit, so such a send may already be on some devices, and sending
   * it again under the same id is the only safe answer — the receivers drop the second copy, while a
   * new message typed again by the user would show twice.
   */
  static boolean retriable(ClientException e) {
    if (e.code() == null) {
      return false;
    }
    return switch (e.code()) {
      case ServerConnection.UNREACHABLE, "DRAINING", "UNAVAILABLE", "INTERNAL" -> true;
      default -> false;
    };
  }

  /**
   * Sends a message, after those still waiting. If the server cannot be reached it is kept and
   * the result says {@code pending}; a refusal (an unknown number, an untrusted contact) is thrown.
   */
  synchronized Device.SendResult send(String recipient, String groupId, DataMessage data) {
    if (waiting() > 0) {
      flush();
      if (waiting() > 0) {
        return keep(recipient, groupId, data, "earlier messages are still waiting");
      }
    }
    try {
      return delivery.deliver(new Waiting(0, recipient, groupId, data));
    } catch (ClientException e) {
      if (!retriable(e)) {
        throw e;
      }
      refusedByServer = storeFailure(e);
      return keep(recipient, groupId, data, e.getMessage());
    }
  }

  private static boolean storeFailure(ClientException e) {
    return "INTERNAL".equals(e.code()) || "UNAVAILABLE".equals(e.code());
  }

  /**
   * Whether what waits was last refused by a server that answered (it failed to store it), so that
   * a connection which lives on should try again by itself; when the server did not answer, the
   * next connection sends it.
   */
  boolean heldByServerRefusal() {
    return refusedByServer;
  }

  /** How many messages wait. */
  int waiting() {
    return device.profile.read(c -> {
      try (PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM outbox");
          ResultSet rs = count.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    });
  }

  /**
   * Sends what waits, oldest first, until the server cannot be reached again. A message the server
   * or the device refuses for good is dropped from the outbox, marked failed, and reported.
   * Returns how many went out.
   */
  synchronized int flush() {
    int sent = 0;
    for (Waiting message : oldest()) {
      try {
        delivery.deliver(message);
        remove(message);
        refusedByServer = false;
        sent++;
      } catch (ClientException e) {
        ClientException reason = e;
        if (retriable(e)) {
          refusedByServer = storeFailure(e);
          int attempts = attempted(message, e.getMessage());
          if (!"INTERNAL".equals(e.code()) || attempts < MAX_STORE_FAILURES) {
            break;
          }
          reason = new ClientException(
              e.code(),
              "the server failed to store it " + attempts + " times (" + e.getMessage() + "); devices that were"
                  + " connected may have it already",
              e);
        }
        failed(message, reason);
      }
    }
    return sent;
  }

  private Device.SendResult keep(String recipient, String groupId, DataMessage data, String why) {
    var local = device.local;
    if (waiting() >= MAX_WAITING) {
      throw new ClientException(
          "OUTBOX_FULL",
          "the server cannot be reached and " + MAX_WAITING + " messages are waiting already; nothing more is kept"
              + " until they are sent",
          null);
    }
    String number = recipient == null ? null : PhoneNumbers.normalize(recipient);
    UUID chat = number == null ? null : device.contacts.byPhone(number).map(Contacts.Known::account).orElse(null);
    MessageHistory.Entry entry =
        new MessageHistory.Entry(
            local.account(), data.getId(), local.deviceId(), chat, groupId, true, data.getBody(), data.getTimestamp(),
            0, PENDING);
    device.profile.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO outbox (message_id, recipient, group_id, data, created_at, last_error) VALUES (?,?,?,?,?,?)")) {
        insert.setString(1, data.getId());
        insert.setString(2, number);
        insert.setString(3, groupId);
        insert.setBytes(4, data.toByteArray());
        insert.setLong(5, device.clock.millis());
        insert.setString(6, why);
        insert.executeUpdate();
      }
      device.history.add(entry, data.getAttachmentsList(), AttachmentStore.PENDING);
      device.events.append(
          ContentProcessor.event(entry, local.phone(), number)
              .withAttachments(device.attachments.views(local.account(), data.getId())));
      return null;
    });
    return new Device.SendResult(data.getId(), data.getTimestamp(), 0, List.of(), PENDING);
  }

  private List<Waiting> oldest() {
    return device.profile.read(c -> {
      List<Waiting> out = new ArrayList<>();
      try (PreparedStatement select =
              c.prepareStatement("SELECT seq, recipient, group_id, data FROM outbox ORDER BY seq LIMIT 100");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          try {
            out.add(new Waiting(rs.getLong(1), rs.getString(2), rs.getString(3), DataMessage.parseFrom(rs.getBytes(4))));
          } catch (InvalidProtocolBufferException e) {
            throw new ClientException("a message in the outbox is damaged: " + e.getMessage(), e);
          }
        }
      }
      return out;
    });
  }

  private void remove(Waiting message) {
    device.profile.transaction(c -> {
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM outbox WHERE seq = ?")) {
        delete.setLong(1, message.seq());
        return delete.executeUpdate();
      }
    });
  }

  /** Counts a failed try; returns how many there have been. */
  private int attempted(Waiting message, String why) {
    return device.profile.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ? RETURNING attempts")) {
        update.setString(1, why);
        update.setLong(2, message.seq());
        try (ResultSet rs = update.executeQuery()) {
          return rs.next() ? rs.getInt(1) : 0;
        }
      }
    });
  }

  private void failed(Waiting message, ClientException e) {
    var local = device.local;
    device.profile.transaction(c -> {
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM outbox WHERE seq = ?")) {
        delete.setLong(1, message.seq());
        delete.executeUpdate();
      }
      DataMessage data = message.data();
      device.history.setOwnStatus(local.account(), data.getId(), FAILED, 0);
      device.events.append(
          MessageEvent.of(
              true, data.getId(), local.phone(), local.deviceId(), message.recipient(), message.groupId(),
              data.getBody(), data.getTimestamp(), 0, FAILED));
      device.events.append(
          new WarningEvent(
              "send-failed",
              "a message kept while the server was unreachable could not be sent (" + e.getMessage() + "): "
                  + (message.groupId() != null ? "group " + message.groupId() : message.recipient())));
      return null;
    });
  }
}
