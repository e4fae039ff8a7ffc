package org.parley.client.history;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.parley.client.ClientException;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.history.BundleException;
import org.parley.protocol.history.BundleReader;
import org.parley.protocol.wire.HistoryContact;
import org.parley.protocol.wire.HistoryHeader;
import org.parley.protocol.wire.HistoryMessage;
import org.parley.protocol.wire.HistoryRecord;
import org.parley.protocol.wire.HistorySync;

/**
 * Takes in the history bundles the primary announces (DESIGN.md §7): downloads each (continuing a
 * download that broke off), checks its size and SHA-256, decrypts it and imports it in one local
 * transaction, so a bundle that turns out altered, reordered or cut short leaves nothing behind.
 *
 * <p>Importing is idempotent and never moves anything backwards: a message already here (a retried
 * import, or one that arrived live during the sync) is not added again, and its status only ever
 * advances (sent → delivered → read, unread → read), so a newer live status survives an older
 * exported one.
 */
public final class HistoryImporter {
  private final ProfileStore store;
  private final UUID account;
  private final int device;
  private final Clock clock;
  private final Path workDirectory;

  /** @param workDirectory where downloads are kept until their bundle has been imported */
  public HistoryImporter(ProfileStore store, UUID account, int device, Clock clock, Path workDirectory) {
    this.store = store;
    this.account = account;
    this.device = device;
    this.clock = clock;
    this.workDirectory = workDirectory;
  }

  public enum Outcome {
    IMPORTED,
    /** Imported before: a redelivered announcement. */
    ALREADY_IMPORTED,
    /** The export is for another companion of the account. */
    NOT_FOR_THIS_DEVICE
  }

  /**
   * @param records records in the bundle
   * @param messagesAdded messages that were not here before
   * @param resumedAt the byte the download continued from (0 if it started afresh)
   */
  public record Result(Outcome outcome, long records, long messagesAdded, long contactsAdded, long resumedAt) {
    static Result skipped(Outcome outcome) {
      return new Result(outcome, 0, 0, 0, 0);
    }
  }

  /** Whether an announcement is addressed to this device (every own device receives it). */
  public boolean isForThisDevice(HistorySync announcement) {
    return announcement.getTargetDevice() == 0 || announcement.getTargetDevice() == device;
  }

  /**
   * Remembers an announcement so that its import can be retried after a crash; call it in the
   * transaction that takes in the message carrying it. False if it was known already.
   */
  public boolean remember(HistorySync announcement) {
    return store.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT OR IGNORE INTO history_bundles (blob_id, part, announcement, received_at) VALUES (?,?,?,?)")) {
        insert.setString(1, announcement.getBlobId());
        insert.setInt(2, announcement.getPart());
        insert.setBytes(3, announcement.toByteArray());
        insert.setLong(4, clock.millis());
        return insert.executeUpdate() == 1;
      }
    });
  }

  /** Announcements remembered but not imported yet, in part order: what to retry on start. */
  public List<HistorySync> pending() {
    return store.read(c -> {
      List<HistorySync> pending = new ArrayList<>();
      try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT announcement FROM history_bundles WHERE imported_at IS NULL ORDER BY part, received_at");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          try {
            pending.add(HistorySync.parseFrom(rs.getBytes(1)));
          } catch (InvalidProtocolBufferException e) {
            throw new SQLException("a remembered history announcement is damaged", e);
          }
        }
      }
      return pending;
    });
  }

  /** Downloads, verifies and imports one announced bundle; progress goes to {@code progress}. */
  public Result importBundle(HistorySync announcement, BlobTransfer blobs, Consumer<HistorySyncEvent> progress) {
    if (!isForThisDevice(announcement)) {
      return Result.skipped(Outcome.NOT_FOR_THIS_DEVICE);
    }
    if (imported(announcement.getBlobId())) {
      return Result.skipped(Outcome.ALREADY_IMPORTED);
    }
    remember(announcement);
    Downloaded downloaded = download(announcement, blobs, progress);
    verify(downloaded.file(), announcement);
    // The bundle is safely here; the server need not keep it until its expiry.
    try {
      blobs.confirm(announcement.getBlobId());
    } catch (ClientException e) {
      // harmless: the server deletes it at expiry anyway
    }
    Result result = importFile(downloaded.file(), announcement, progress);
    try {
      Files.deleteIfExists(downloaded.file());
    } catch (IOException e) {
      // the import is committed; a leftover download only takes disk space
    }
    return new Result(
        result.outcome(), result.records(), result.messagesAdded(), result.contactsAdded(), downloaded.resumedAt());
  }

  private record Downloaded(Path file, long resumedAt) {}

  private Downloaded download(HistorySync announcement, BlobTransfer blobs, Consumer<HistorySyncEvent> progress) {
    Path file = workDirectory.resolve(fileName(announcement));
    try {
      Files.createDirectories(workDirectory);
    } catch (IOException e) {
      throw new ClientException("cannot create " + workDirectory + ": " + e.getMessage(), e);
    }
    long resumedAt =
        blobs.download(
            announcement.getBlobId(),
            file,
            announcement.getSize(),
            held -> progress.accept(event("downloading", announcement, 0, held)));
    return new Downloaded(file, resumedAt);
  }

  /** Refuses a download whose size or digest differs from the announcement, and removes it. */
  private static void verify(Path file, HistorySync announcement) {
    try {
      long size = Files.size(file);
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) != -1; ) {
          sha256.update(buffer, 0, n);
        }
      }
      if (size != announcement.getSize() || !MessageDigest.isEqual(sha256.digest(), announcement.getSha256().toByteArray())) {
        Files.deleteIfExists(file);
        throw new ClientException(
            "HISTORY_CORRUPT",
            "the downloaded history bundle (part " + announcement.getPart() + ") does not match the size and SHA-256"
                + " its announcement gives; it was removed, run the import again to download it anew",
            null);
      }
    } catch (IOException e) {
      throw new ClientException("cannot read the downloaded history bundle " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Decrypts and imports a bundle already on disk, all in one transaction, marking the announcement
   * imported in the same commit.
   */
  public Result importFile(Path file, HistorySync announcement, Consumer<HistorySyncEvent> progress) {
    long total = announcement.getRecordCount();
    long step = Math.max(1, total / 100);
    progress.accept(event("importing", announcement, 0, announcement.getSize()));
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
        BundleReader reader = new BundleReader(in, announcement.getKey().toByteArray())) {
      check(reader.header(), announcement);
      Result result = store.transaction(c -> {
        Counts counts = new Counts();
        try (Statements statements = new Statements(c)) {
          for (HistoryRecord record = next(reader); record != null; record = next(reader)) {
            statements.apply(record, counts);
            if (++counts.records % step == 0) {
              progress.accept(event("importing", announcement, counts.records, announcement.getSize()));
            }
          }
        }
        if (counts.records != total) {
          throw new ClientException(
              "HISTORY_CORRUPT",
              "history bundle part " + announcement.getPart() + " holds " + counts.records
                  + " records but was announced with " + total + "; nothing of it was imported",
              null);
        }
        markImported(c, announcement, counts.records);
        return new Result(Outcome.IMPORTED, counts.records, counts.messages, counts.contacts, 0);
      });
      progress.accept(event("imported", announcement, total, announcement.getSize()));
      return result;
    } catch (UncheckedIOException e) {
      throw refused(announcement, e.getCause());
    } catch (IOException e) {
      throw refused(announcement, e);
    }
  }

  private static ClientException refused(HistorySync announcement, IOException e) {
    if (e instanceof BundleException) {
      return new ClientException(
          "HISTORY_CORRUPT",
          "history bundle part " + announcement.getPart() + " was refused and nothing of it imported: " + e.getMessage(),
          e);
    }
    return new ClientException("cannot read the history bundle: " + e.getMessage(), e);
  }

  private void check(HistoryHeader header, HistorySync announcement) throws BundleException {
    if (!header.getAccountId().equals(account.toString())) {
      throw new BundleException("the bundle holds the history of another account");
    }
    if (header.getPart() != announcement.getPart()) {
      throw new BundleException(
          "the bundle is part " + header.getPart() + " but was announced as part " + announcement.getPart());
    }
  }

  private static HistoryRecord next(BundleReader reader) {
    try {
      return reader.next();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean imported(String blobId) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT 1 FROM history_bundles WHERE blob_id = ? AND imported_at IS NOT NULL")) {
        select.setString(1, blobId);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  private void markImported(Connection c, HistorySync announcement, long records) throws SQLException {
    try (PreparedStatement upsert =
        c.prepareStatement(
            "INSERT INTO history_bundles (blob_id, part, announcement, received_at, imported_at, records)"
                + " VALUES (?,?,?,?,?,?) ON CONFLICT (blob_id) DO UPDATE SET imported_at = excluded.imported_at,"
                + " records = excluded.records")) {
      long now = clock.millis();
      upsert.setString(1, announcement.getBlobId());
      upsert.setInt(2, announcement.getPart());
      upsert.setBytes(3, announcement.toByteArray());
      upsert.setLong(4, now);
      upsert.setLong(5, now);
      upsert.setLong(6, records);
      upsert.executeUpdate();
    }
  }

  private static String fileName(HistorySync announcement) {
    String id = announcement.getBlobId();
    if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new ClientException("the history announcement names an invalid blob id '" + id + "'");
    }
    return id + ".bundle";
  }

  private static HistorySyncEvent event(String state, HistorySync announcement, long imported, long downloaded) {
    return new HistorySyncEvent(
        state,
        announcement.getPart(),
        announcement.getLastPart(),
        announcement.getRecordCount(),
        imported,
        announcement.getSize(),
        downloaded,
        announcement.getFromTimestamp(),
        announcement.getToTimestamp());
  }

  private static final class Counts {
    long records;
    long messages;
    long contacts;
  }

  /** The statements of one import, prepared once for every record. */
  private static final class Statements implements AutoCloseable {
    private final PreparedStatement insert;
    private final PreparedStatement advance;
    private final PreparedStatement contact;

    Statements(Connection c) throws SQLException {
      this.insert =
          c.prepareStatement(
              "INSERT OR IGNORE INTO messages (author_account, id, author_device, chat_account, group_id, outgoing,"
                  + " body, timestamp, server_timestamp, status) VALUES (?,?,?,?,?,?,?,?,?,?)");
      this.advance =
          c.prepareStatement(
              "UPDATE messages SET status = ? WHERE author_account = ? AND id = ?"
                  + " AND " + Statuses.rank("?") + " > " + Statuses.rank("status"));
      this.contact =
          c.prepareStatement(
              "INSERT INTO accounts (account_id, phone) VALUES (?, ?)"
                  + " ON CONFLICT (account_id) DO UPDATE SET phone = excluded.phone WHERE accounts.phone IS NULL");
    }

    void apply(HistoryRecord record, Counts counts) throws SQLException {
      switch (record.getKindCase()) {
        case MESSAGE -> counts.messages += message(record.getMessage()) ? 1 : 0;
        case CONTACT -> counts.contacts += contact(record.getContact()) ? 1 : 0;
        // Chats are derived from their messages here; groups do not exist yet. Both are skipped.
        default -> {}
      }
    }

    /** Adds the message unless it is here; if it is, only lets its status advance. True if added. */
    private boolean message(HistoryMessage m) throws SQLException {
      String status = Statuses.fromBundle(m.getStatus(), m.getOutgoing());
      insert.setString(1, m.getAuthorAccount());
      insert.setString(2, m.getId());
      insert.setInt(3, m.getAuthorDevice());
      insert.setString(4, m.getChatAccount().isEmpty() ? null : m.getChatAccount());
      insert.setString(5, m.getGroupId().isEmpty() ? null : m.getGroupId());
      insert.setInt(6, m.getOutgoing() ? 1 : 0);
      insert.setString(7, m.getBody());
      insert.setLong(8, m.getTimestamp());
      insert.setLong(9, m.getServerTimestamp());
      insert.setString(10, status);
      if (insert.executeUpdate() == 1) {
        return true;
      }
      advance.setString(1, status);
      advance.setString(2, m.getAuthorAccount());
      advance.setString(3, m.getId());
      advance.setString(4, status);
      advance.executeUpdate();
      return false;
    }

    private boolean contact(HistoryContact c) throws SQLException {
      contact.setString(1, c.getAccountId());
      contact.setString(2, c.getPhone());
      return contact.executeUpdate() == 1;
    }

    @Override
    public void close() throws SQLException {
      try {
        insert.close();
        advance.close();
      } finally {
        contact.close();
      }
    }
  }
}
