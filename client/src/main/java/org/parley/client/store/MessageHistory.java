package org.parley.client.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.protocol.wire.AttachmentPointer;

/** The local message history: every chat as this device has seen it. */
public final class MessageHistory {
  private final ProfileStore store;

  public MessageHistory(ProfileStore store) {
    this.store = store;
  }

  /**
   * One message as stored.
   *
   * @param chatAccount the other account of a 1:1 chat, {@code null} for a group message
   * @param status for outgoing: sent, delivered, read; for incoming: unread, read
   */
  public record Entry(
      UUID author,
      String id,
      int authorDevice,
      UUID chatAccount,
      String groupId,
      boolean outgoing,
      String body,
      long timestamp,
      long serverTimestamp,
      String status) {}

  /** Adds a message unless it is already there (same author and id); true if it was new. */
  public boolean add(Entry entry) {
    return store.transaction(c -> insert(c, entry));
  }

  /**
   * Adds a message with the attachments it points to (docs/PROTOCOL.md §14), in one transaction; pointers
   * are recorded only with a new message (one seen before keeps what it has). True if the message was new.
   */
  public boolean add(Entry entry, List<AttachmentPointer> attachments, String attachmentStatus) {
    return store.transaction(c -> {
      boolean added = insert(c, entry);
      if (added) {
        // A message seen before keeps its files: a sender reusing an old id must not add to it.
        AttachmentStore.insert(c, entry.author(), entry.id(), attachments, attachmentStatus);
      }
      return added;
    });
  }

  static boolean insert(Connection c, Entry entry) throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT OR IGNORE INTO messages (author_account, id, author_device, chat_account, group_id, outgoing,"
                + " body, timestamp, server_timestamp, status) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
      insert.setString(1, entry.author().toString());
      insert.setString(2, entry.id());
      insert.setInt(3, entry.authorDevice());
      insert.setString(4, entry.chatAccount() == null ? null : entry.chatAccount().toString());
      insert.setString(5, entry.groupId());
      insert.setInt(6, entry.outgoing() ? 1 : 0);
      insert.setString(7, entry.body());
      insert.setLong(8, entry.timestamp());
      insert.setLong(9, entry.serverTimestamp());
      insert.setString(10, entry.status());
      return insert.executeUpdate() == 1;
    }
  }

  /**
   * Sets the status of a message this device wrote and kept while the server was unreachable
   * ({@code pending}): {@code sent} (with the server's time, and the chat once known) or {@code
   * failed}. Returns whether it was pending.
   */
  public boolean setOwnStatus(UUID author, String id, String status, long serverTimestamp) {
    return setOwnStatus(author, id, status, serverTimestamp, null);
  }

  public boolean setOwnStatus(UUID author, String id, String status, long serverTimestamp, UUID chatAccount) {
    return store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE messages SET status = ?, server_timestamp = ?, chat_account = COALESCE(chat_account, ?)"
                  + " WHERE author_account = ? AND id = ? AND outgoing = 1 AND status = 'pending'")) {
        update.setString(1, status);
        update.setLong(2, serverTimestamp);
        update.setString(3, chatAccount == null ? null : chatAccount.toString());
        update.setString(4, author.toString());
        update.setString(5, id);
        return update.executeUpdate() == 1;
      }
    });
  }

  /** Raises the status of messages this account sent (delivered, then read; never back). */
  public int updateStatus(UUID author, List<String> ids, String status) {
    return store.transaction(c -> {
      int changed = 0;
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE messages SET status = ? WHERE author_account = ? AND id = ? AND outgoing = 1"
                  + " AND (status = 'sent' OR (status = 'delivered' AND ? = 'read'))")) {
        for (String id : ids) {
          update.setString(1, status);
          update.setString(2, author.toString());
          update.setString(3, id);
          update.setString(4, status);
          changed += update.executeUpdate();
        }
      }
      return changed;
    });
  }

  /** Marks the incoming messages of a chat read up to a time; returns those newly read. */
  public List<Entry> markRead(UUID chatAccount, String groupId, long upTo) {
    return store.transaction(c -> {
      List<Entry> unread = query(c, chatAccount, groupId, Integer.MAX_VALUE, " AND outgoing = 0 AND status = 'unread' AND timestamp <= " + upTo);
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE messages SET status = 'read' WHERE outgoing = 0 AND status = 'unread' AND timestamp <= ? AND "
                  + (groupId != null ? "group_id = ?" : "chat_account = ? AND group_id IS NULL"))) {
        update.setLong(1, upTo);
        update.setString(2, groupId != null ? groupId : chatAccount.toString());
        update.executeUpdate();
      }
      return unread;
    });
  }

  /** The last {@code limit} messages of a chat (or of all chats), oldest first. */
  public List<Entry> list(UUID chatAccount, String groupId, int limit) {
    return list(chatAccount, groupId, limit, Long.MAX_VALUE);
  }

  /**
   * The last {@code limit} messages sent at or before {@code upTo} (epoch ms), oldest first: a page
   * further back. "At or before", so messages sharing the boundary's millisecond are not skipped
   * (the reader drops the ones it has by id).
   */
  public List<Entry> list(UUID chatAccount, String groupId, int limit, long upTo) {
    String before = upTo == Long.MAX_VALUE ? "" : " AND timestamp <= " + upTo;
    return store.read(c -> query(c, chatAccount, groupId, limit, before));
  }

  private static List<Entry> query(Connection c, UUID chatAccount, String groupId, int limit, String extra)
      throws SQLException {
    String where;
    String key;
    if (groupId != null) {
      where = "group_id = ?";
      key = groupId;
    } else if (chatAccount != null) {
      where = "chat_account = ? AND group_id IS NULL";
      key = chatAccount.toString();
    } else {
      where = "1 = 1";
      key = null;
    }
    String sql =
        "SELECT author_account, id, author_device, chat_account, group_id, outgoing, body, timestamp,"
            + " server_timestamp, status FROM (SELECT * FROM messages WHERE " + where + extra
            + " ORDER BY timestamp DESC, server_timestamp DESC LIMIT ?) ORDER BY timestamp, server_timestamp";
    try (PreparedStatement select = c.prepareStatement(sql)) {
      int i = 1;
      if (key != null) {
        select.setString(i++, key);
      }
      select.setInt(i, limit);
      List<Entry> out = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          String chat = rs.getString(4);
          out.add(
              new Entry(
                  UUID.fromString(rs.getString(1)),
                  rs.getString(2),
                  rs.getInt(3),
                  chat == null ? null : UUID.fromString(chat),
                  rs.getString(5),
                  rs.getInt(6) == 1,
                  rs.getString(7),
                  rs.getLong(8),
                  rs.getLong(9),
                  rs.getString(10)));
        }
      }
      return out;
    }
  }

  /** Whether an envelope was already taken into this profile. */
  public boolean processed(byte[] guid) {
    return store.read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT 1 FROM processed WHERE guid = ?")) {
        select.setBytes(1, guid);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /**
   * Forgets envelopes taken before a time. The server drops what it could not deliver after its
   * queue TTL (30 days by default), so a guid older than that can never come again.
   */
  public int forgetProcessedBefore(long time) {
    return store.transaction(c -> {
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM processed WHERE at < ?")) {
        delete.setLong(1, time);
        return delete.executeUpdate();
      }
    });
  }

  /** Records an envelope as taken; call inside the transaction that applied it. */
  public void markProcessed(byte[] guid, long now) {
    store.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement("INSERT OR IGNORE INTO processed (guid, at) VALUES (?, ?)")) {
        insert.setBytes(1, guid);
        insert.setLong(2, now);
        return insert.executeUpdate();
      }
    });
  }
}
