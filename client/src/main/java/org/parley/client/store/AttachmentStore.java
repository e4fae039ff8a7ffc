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
import org.parley.protocol.attachments.AttachmentKeys;
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
  /** The profile's directory of unverified downloads ({@link #incoming()}). */
  public static final String INCOMING = "incoming";
  /** Pointers taken from one message; the server lets a message point to no more either. */
  public static final int MAX_PER_MESSAGE = 32;
  /** Automatic tries at fetching one attachment before it is left to an explicit {@code attachment get}. */
  public static final int MAX_ATTEMPTS = 5;
  private static final int DIGEST_BYTES = 32;

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
   * Where downloads are checked and decrypted before they are shown, and where a download that broke
   * off waits to be continued: the profile's {@code incoming/}, beside {@code attachments/} and never
   * inside it, so no file there is one the user could take for a verified attachment.
   */
  public Path incoming() {
    return root.resolveSibling(INCOMING);
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
        .filter(p -> org.parley.client.history.BlobTransfer.validId(p.getBlobId()))
        .map(p -> p.getContentType().isEmpty() || CONTENT_TYPE.matcher(p.getContentType()).matches()
            ? p
            : p.toBuilder().setContentType(UNKNOWN_TYPE).build())
        .toList();
  }

  /**
   * Why a pointer cannot be fetched as it stands (a blob id the server could not have issued, a key
   * or digest of the wrong length), or null. The blob id becomes a file name under {@code incoming/}:
   * a sender's {@code ../x} or NUL must never reach the file system.
   */
  public static String malformed(AttachmentPointer pointer) {
    if (!org.parley.client.history.BlobTransfer.validId(pointer.getBlobId())) {
      return "its pointer is malformed (the blob id is not one the server issues)";
    }
    if (pointer.getKey().size() != AttachmentKeys.BYTES || pointer.getDigest().size() != DIGEST_BYTES) {
      return "its pointer is malformed (a key of " + AttachmentKeys.BYTES + " bytes and a digest of " + DIGEST_BYTES
          + " are needed)";
    }
    return null;
  }

  /**
   * Records a message's pointers, inside the caller's transaction; a message seen before keeps what
   * it has. A malformed pointer is recorded as failed at once, with the reason, never to be fetched.
   */
  public static void insert(Connection c, UUID author, String messageId, List<AttachmentPointer> pointers, String status)
      throws SQLException {
    if (pointers.isEmpty()) {
      return;
    }
    pointers = received(pointers);
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT OR IGNORE INTO attachments (author_account, message_id, position, blob_id, pointer, status, error)"
                + " VALUES (?,?,?,?,?,?,?)")) {
      for (int i = 0; i < pointers.size(); i++) {
        String malformed = malformed(pointers.get(i));
        insert.setString(1, author.toString());
        insert.setString(2, messageId);
        insert.setInt(3, i);
        insert.setString(4, pointers.get(i).getBlobId());
        insert.setBytes(5, pointers.get(i).toByteArray());
        insert.setString(6, malformed == null ? status : FAILED);
        insert.setString(7, malformed);
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

  /**
   * The sender's own attachments of a message it sends, each with the name of the copy it keeps
   * ({@code paths} by blob id, relative to {@code attachments/}), in one transaction: pending until
   * {@link #ownPlaced}, as a fetched file is until its rename is on disk ({@link #placing}).
   */
  public void insertOwn(UUID author, String messageId, List<AttachmentPointer> pointers, java.util.Map<String, String> paths) {
    store.transaction(c -> {
      insert(c, author, messageId, pointers, PENDING);
      try (PreparedStatement update =
          c.prepareStatement("UPDATE attachments SET path = ? WHERE author_account = ? AND message_id = ? AND blob_id = ?")) {
        for (var own : paths.entrySet()) {
          update.setString(1, own.getValue());
          update.setString(2, author.toString());
          update.setString(3, messageId);
          update.setString(4, own.getKey());
          update.addBatch();
        }
        update.executeBatch();
      }
      return null;
    });
  }

  /** The sender's own copies of a message's attachments are in {@code attachments/} for good: fetched. */
  public void ownPlaced(UUID author, String messageId) {
    store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE attachments SET status = '" + FETCHED + "' WHERE author_account = ? AND message_id = ? AND status = '"
                  + PENDING + "' AND path IS NOT NULL")) {
        update.setString(1, author.toString());
        update.setString(2, messageId);
        return update.executeUpdate();
      }
    });
  }

  /** A message's attachments as events show them. */
  public List<AttachmentView> views(UUID author, String messageId) {
    return of(author, messageId).stream().map(this::view).toList();
  }

  public AttachmentView view(Held held) {
    AttachmentPointer p = held.pointer();
    // A pending row may name the file a crashed fetch was moving: not one to show until it is fetched.
    String path =
        held.path() == null || PENDING.equals(held.status()) ? null : root.resolve(held.path()).toAbsolutePath().toString();
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

  /**
   * Attachments waiting to be fetched, the least tried first, so one that keeps failing cannot hold
   * back the others (and gives up after {@link #MAX_ATTEMPTS}, see {@link #attempt}).
   */
  public List<Held> pending(int limit) {
    return store.read(c -> select(c, "status = '" + PENDING + "' ORDER BY attempts, author_account, message_id, position LIMIT "
        + limit));
  }

  /**
   * Counts one more try at fetching a pending attachment; past {@link #MAX_ATTEMPTS} it is marked
   * failed instead (fetched on demand with {@code parley attachment get}) and false is returned, so
   * a download that never works is not tried again after every envelope.
   */
  public boolean attempt(Held held) {
    return store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement(
              "UPDATE attachments SET attempts = attempts + 1 WHERE author_account = ? AND message_id = ? AND position = ?"
                  + " AND status = '" + PENDING + "' AND attempts < " + MAX_ATTEMPTS)) {
        update.setString(1, held.author().toString());
        update.setString(2, held.messageId());
        update.setInt(3, held.position());
        if (update.executeUpdate() == 1) {
          return true;
        }
      }
      try (PreparedStatement give =
          c.prepareStatement(
              "UPDATE attachments SET status = '" + FAILED + "', error = ? WHERE author_account = ? AND message_id = ?"
                  + " AND position = ? AND status = '" + PENDING + "'")) {
        give.setString(1, "not fetched after " + MAX_ATTEMPTS + " tries; 'parley attachment get " + held.blobId()
            + "' tries again");
        give.setString(2, held.author().toString());
        give.setString(3, held.messageId());
        give.setInt(4, held.position());
        give.executeUpdate();
      }
      return false;
    });
  }

  public void fetched(Held held, String path) {
    update(held, FETCHED, path, null);
  }

  /**
   * The name a verified attachment is about to be moved to, recorded while it is still pending: a
   * crash before it is recorded fetched leaves a row that names its file, not a file nothing names.
   */
  public void placing(Held held, String path) {
    update(held, PENDING, path, null);
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
