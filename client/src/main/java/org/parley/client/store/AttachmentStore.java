package org.parley.client.store;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.events.AttachmentView;
import org.parley.protocol.wire.AttachmentPointer;

/**
 * The attachments of the messages in this profile (docs/PROTOCOL.md §14): each message's pointers in the
 * sender's order, and what became of each on this device. The pointer is kept whole (its key
 * included): the profile is the owner's alone, like the session keys beside it.
 */
public final class AttachmentStore {
  public static final String PENDING = "pending";
  public static final String OFFERED = "offered";
  public static final String FETCHED = "fetched";
  public static final String FAILED = "failed";

  /** The profile's {@code attachments/} directory. */
  public static final String DIRECTORY = "attachments";
  /** Pointers taken from one message; the server lets a message point to no more either. */
  public static final int MAX_PER_MESSAGE = 32;

  private final ProfileStore store;
  private final Path root;

  /** @param root where fetched attachments are stored (the profile's {@code attachments/}) */
  public AttachmentStore(ProfileStore store, Path root) {
    this.store = store;
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /**
   * One attachment as this device holds it.
   *
   * @param path the verified plaintext, relative to the profile's {@code attachments/}, or null
   */
  public record Held(
      UUID author, String messageId, int position, AttachmentPointer pointer, String status, String path, String error) {
    public String blobId() {
      return pointer.getBlobId();
    }
  }

  private static final java.util.regex.Pattern BLOB_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final java.util.regex.Pattern CONTENT_TYPE =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");
  static final String UNKNOWN_TYPE = "application/octet-stream";

  /**
   * The pointers of a message as this device takes them, the same for what it stores and what its
   * events show: at most {@link #MAX_PER_MESSAGE}; one whose id cannot be a blob id (it is the file's
   * name in commands, pages and terminals) is dropped, as the server would never serve it; a content
   * type that is not {@code type/subtype} of token characters becomes {@value #UNKNOWN_TYPE}. The
   * sender chose both: they must not carry terminal escapes, markup or header breaks.
   */
  public static List<AttachmentPointer> received(List<AttachmentPointer> pointers) {
    return pointers.stream()
        .limit(MAX_PER_MESSAGE)
        .filter(p -> BLOB_ID.matcher(p.getBlobId()).matches())
        .map(p -> p.getContentType().isEmpty() || CONTENT_TYPE.matcher(p.getContentType()).matches()
            ? p
            : p.toBuilder().setContentType(UNKNOWN_TYPE).build())
        .toList();
  }

  /** Records a message's pointers, inside the caller's transaction; a message seen before keeps what it has. */
  public static void insert(Connection c, UUID author, String messageId, List<AttachmentPointer> pointers, String status)
      throws SQLException {
    if (pointers.isEmpty()) {
      return;
    }
    pointers = received(pointers);
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT OR IGNORE INTO attachments (author_account, message_id, position, blob_id, pointer, status)"
                + " VALUES (?,?,?,?,?,?)")) {
      for (int i = 0; i < pointers.size(); i++) {
        insert.setString(1, author.toString());
        insert.setString(2, messageId);
        insert.setInt(3, i);
        insert.setString(4, pointers.get(i).getBlobId());
        insert.setBytes(5, pointers.get(i).toByteArray());
        insert.setString(6, status);
        insert.addBatch();
      }
      insert.executeBatch();
    }
  }

  public void insert(UUID author, String messageId, List<AttachmentPointer> pointers, String status) {
    store.transaction(c -> {
      insert(c, author, messageId, pointers, status);
      return null;
    });
  }

  /** A message's attachments as events show them. */
  public List<AttachmentView> views(UUID author, String messageId) {
    return of(author, messageId).stream().map(this::view).toList();
  }

  public AttachmentView view(Held held) {
    AttachmentPointer p = held.pointer();
    String path = held.path() == null ? null : root.resolve(held.path()).toAbsolutePath().toString();
    return new AttachmentView(
        p.getBlobId(), p.getContentType(), p.getSize(), p.getFileName(), path, held.status(), held.error());
  }

  /** Attachments just arrived (not fetched yet), as events show them. */
  public static List<AttachmentView> arrived(List<AttachmentPointer> pointers) {
    return received(pointers).stream()
        .map(p -> new AttachmentView(p.getBlobId(), p.getContentType(), p.getSize(), p.getFileName(), null, PENDING, null))
        .toList();
  }

  /** A message's attachments, in order. */
  public List<Held> of(UUID author, String messageId) {
    return store.read(c -> select(c, "author_account = ? AND message_id = ? ORDER BY position", author.toString(), messageId));
  }

  /**
   * The attachment with this id (its blob id). Only the message it was uploaded for points to it
   * (the server grants a blob to one account's messages only), so any row will do.
   */
  public Optional<Held> byId(String blobId) {
    return store.read(c -> select(c, "blob_id = ? LIMIT 1", blobId)).stream().findFirst();
  }

  /** Attachments waiting to be fetched, oldest message first. */
  public List<Held> pending(int limit) {
    return store.read(c -> select(c, "status = '" + PENDING + "' LIMIT " + limit));
  }

  public void fetched(Held held, String path) {
    update(held, FETCHED, path, null);
  }

  public void failed(Held held, String error) {
    update(held, FAILED, null, error);
  }

  private void update(Held held, String status, String path, String error) {
    store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE attachments SET status = ?, path = ?, error = ? WHERE author_account = ? AND message_id = ?"
                  + " AND position = ?")) {
        update.setString(1, status);
        update.setString(2, path);
        update.setString(3, error);
        update.setString(4, held.author().toString());
        update.setString(5, held.messageId());
        update.setInt(6, held.position());
        return update.executeUpdate();
      }
    });
  }

  private static List<Held> select(Connection c, String where, String... keys) throws SQLException {
    String sql =
        "SELECT author_account, message_id, position, pointer, status, path, error FROM attachments WHERE " + where;
    try (PreparedStatement select = c.prepareStatement(sql)) {
      for (int i = 0; i < keys.length; i++) {
        select.setString(i + 1, keys[i]);
      }
      List<Held> out = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          AttachmentPointer pointer;
          try {
            pointer = AttachmentPointer.parseFrom(rs.getBytes(4));
          } catch (InvalidProtocolBufferException e) {
            throw new ClientException("an attachment record in the profile is damaged: " + e.getMessage(), e);
          }
          out.add(
              new Held(
                  UUID.fromString(rs.getString(1)), rs.getString(2), rs.getInt(3), pointer, rs.getString(5),
                  rs.getString(6), rs.getString(7)));
        }
      }
      return out;
    }
  }
}
