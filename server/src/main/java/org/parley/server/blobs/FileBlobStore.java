package org.parley.server.blobs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.parley.protocol.sql.SchemaMigrations;
import org.parley.server.store.DeviceAddress;

/**
 * The embedded blob store: bytes as files in one directory beside the database ({@code ID.part}
 * while an upload runs or waits to be resumed, {@code ID.blob} once complete) and what is known
 * about each blob in a small SQLite index in the same directory ({@code index.db}). A blob exists
 * exactly as long as its index row does; files without one are swept away by {@link #expire}.
 * Bytes move outside the lock; the small state changes happen under it.
 *
 * <p>Two fsyncs make an upload durable, the blob's bytes and then the index commit that says
 * "uploaded"; that commit is the one that counts. A reservation is committed without an fsync of
 * its own (a second connection, {@code synchronous=NORMAL}): a power cut may lose it, which costs
 * its client no more than a new slot (a resumed upload's {@code HEAD} is answered 404, a creating
 * {@code POST} was never answered 201), and the next fsynced commit, a completion, puts it on disk
 * with everything before it (the log is one file, written in order). The part's name is made
 * durable by a directory fsync when its upload opens, on a thread of its own while the bytes arrive
 * (the completion waits for it, so on any file system a row that says "uploaded" has a file); the
 * rename to {@code ID.blob} is not fsynced: a blob whose rename a power cut lost is read from {@code
 * ID.part}, whose bytes were on disk before its row said "uploaded".
 */
public final class FileBlobStore implements BlobStore {
  static final String INDEX = "index.db";
  private static final String PART = ".part";
  private static final String BLOB = ".blob";
  /** Bytes of an upload after which they go to disk (fsync) while the rest still arrives. */
  private static final long SYNC_EVERY = 16L * 1024 * 1024;

  private final Path directory;
  private final Connection index;
  /** The same database for reservations only, committed without waiting for the disk (see above). */
  private final Connection reservations;
  private final ReentrantLock lock = new ReentrantLock();
  /** Uploads open now, by blob id: a newer upload of the same blob supersedes the older one. */
  private final Map<String, FileUpload> active = new HashMap<>();

  public FileBlobStore(Path directory) throws IOException {
    this.directory = Files.createDirectories(directory);
    try {
      this.index = DriverManager.getConnection("jdbc:sqlite:" + directory.resolve(INDEX).toAbsolutePath());
      try (Statement statement = index.createStatement()) {
        statement.execute("PRAGMA journal_mode=WAL");
        // A blob is promised as stored, or as fetched by everyone, only once that is on disk.
        statement.execute("PRAGMA synchronous=FULL");
        statement.execute("PRAGMA busy_timeout=10000");
      }
      SchemaMigrations.apply(index, FileBlobStore.class);
      this.reservations = DriverManager.getConnection("jdbc:sqlite:" + directory.resolve(INDEX).toAbsolutePath());
      try (Statement statement = reservations.createStatement()) {
        statement.execute("PRAGMA synchronous=NORMAL");
        statement.execute("PRAGMA busy_timeout=10000");
      }
    } catch (SQLException e) {
      throw new IOException("cannot open the blob index in " + directory + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Blob reserve(UUID account, int uploader, Kind kind, long size, long expiresAt) throws IOException {
    String id = BlobIds.random();
    locked(() -> {
      try (PreparedStatement insert =
          reservations.prepareStatement(
              "INSERT INTO blobs (id, account, uploader, kind, size, uploaded, expires_at) VALUES (?,?,?,?,?,0,?)")) {
        insert.setString(1, id);
        insert.setString(2, account.toString());
        insert.setInt(3, uploader);
        insert.setString(4, kind.name());
        insert.setLong(5, size);
        insert.setLong(6, expiresAt);
        return insert.executeUpdate();
      }
    });
    return new Blob(id, account, uploader, kind, size, 0, expiresAt, false);
  }

  @Override
  public Optional<Blob> find(String id) throws IOException {
    if (!BlobIds.valid(id)) {
      return Optional.empty();
    }
    return locked(() -> row(id));
  }

  @Override
  public Usage usage(UUID account) throws IOException {
    return sql(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE account = ?")) {
        select.setString(1, account.toString());
        try (ResultSet rs = select.executeQuery()) {
          rs.next();
          return new Usage(rs.getInt(1), rs.getLong(2));
        }
      }
    });
  }

  @Override
  public long freeSpace() throws IOException {
    Map<String, Long> unfinished =
        sql(c -> {
          Map<String, Long> sizes = new HashMap<>();
          try (Statement select = c.createStatement();
              ResultSet rs = select.executeQuery("SELECT id, size FROM blobs WHERE uploaded = 0")) {
            while (rs.next()) {
              sizes.put(rs.getString(1), rs.getLong(2));
            }
          }
          return sizes;
        });
    long promised = 0;
    for (var entry : unfinished.entrySet()) {
      promised += Math.max(0, entry.getValue() - length(file(entry.getKey(), PART)));
    }
    return Files.getFileStore(directory).getUsableSpace() - promised;
  }

  @Override
  public Upload upload(String id, long offset) throws IOException {
    return locked(() -> {
      Blob blob = row(id).orElseThrow(() -> new StateException("no such blob"));
      if (blob.uploaded()) {
        throw new StateException("this blob has been uploaded already");
      }
      FileUpload previous = active.remove(id);
      if (previous != null) {
        previous.supersede();
      }
      long held = length(file(id, PART));
      if (offset != 0 && offset != held) {
        throw new StateException(
            "the server holds " + held + " bytes of this blob; continue at that offset (or start over at 0)");
      }
      FileChannel channel = FileChannel.open(file(id, PART), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        channel.truncate(offset);
        channel.position(offset);
      } catch (IOException e) {
        channel.close();
        throw e;
      }
      FileUpload upload = new FileUpload(blob, channel, offset);
      upload.syncDirectory();
      active.put(id, upload);
      return upload;
    });
  }

  @Override
  public InputStream open(String id, long offset) throws IOException {
    if (!BlobIds.valid(id)) {
      throw new NoSuchFileException(id);
    }
    FileChannel channel;
    try {
      channel = FileChannel.open(file(id, BLOB), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      // Completed, and its rename lost by a power cut (it is not fsynced): the bytes are all in the part.
      if (!find(id).map(Blob::uploaded).orElse(false)) {
        throw e;
      }
      // Neither name there is a failure, not "no such blob": an operator may have moved the file and
      // bring it back (the fetch stays pending, and is tried again).
      channel = FileChannel.open(file(id, PART), StandardOpenOption.READ);
    }
    channel.position(offset);
    return Channels.newInputStream(channel);
  }

  @Override
  public boolean address(String id, Collection<DeviceAddress> devices, long now, long keepUntil) throws IOException {
    return sql(c -> {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try (PreparedStatement insert =
              c.prepareStatement(
                  "INSERT OR IGNORE INTO blob_recipients (blob_id, account, device, fetched) VALUES (?,?,?,0)");
          PreparedStatement keep =
              c.prepareStatement(
                  "UPDATE blobs SET expires_at = MAX(expires_at, ?) WHERE id = ? AND uploaded = 1 AND expires_at > ?")) {
        keep.setLong(1, keepUntil);
        keep.setString(2, id);
        keep.setLong(3, now);
        if (keep.executeUpdate() == 0) {
          c.rollback();
          return false;
        }
        for (DeviceAddress device : devices) {
          insert.setString(1, id);
          insert.setString(2, device.account().toString());
          insert.setInt(3, device.device());
          insert.addBatch();
        }
        insert.executeBatch();
        c.commit();
        return true;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    });
  }

  @Override
  public boolean addressed(String id, UUID account) throws IOException {
    return sql(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT 1 FROM blob_recipients WHERE blob_id = ? AND account = ? LIMIT 1")) {
        select.setString(1, id);
        select.setString(2, account.toString());
        try (ResultSet rs = select.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  @Override
  public boolean addressedToAnyone(String id) throws IOException {
    return sql(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT 1 FROM blob_recipients WHERE blob_id = ? LIMIT 1")) {
        select.setString(1, id);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  @Override
  public int fetched(String id, DeviceAddress device) throws IOException {
    return sql(c -> {
      try (PreparedStatement mark =
          c.prepareStatement(
              "UPDATE blob_recipients SET fetched = 1 WHERE blob_id = ? AND account = ? AND device = ?")) {
        mark.setString(1, id);
        mark.setString(2, device.account().toString());
        mark.setInt(3, device.device());
        if (mark.executeUpdate() == 0) {
          return -1;
        }
      }
      try (PreparedStatement count =
          c.prepareStatement("SELECT COUNT(*) FROM blob_recipients WHERE blob_id = ? AND fetched = 0")) {
        count.setString(1, id);
        try (ResultSet rs = count.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    });
  }

  @Override
  public void expireBy(String id, long expiresAt) throws IOException {
    sql(c -> {
      try (PreparedStatement update =
          c.prepareStatement("UPDATE blobs SET expires_at = ? WHERE id = ? AND expires_at > ?")) {
        update.setLong(1, expiresAt);
        update.setString(2, id);
        update.setLong(3, expiresAt);
        return update.executeUpdate();
      }
    });
  }

  @Override
  public boolean delete(String id) throws IOException {
    if (!BlobIds.valid(id)) {
      return false;
    }
    return locked(() -> deleteLocked(id));
  }

  @Override
  public int expire(long now) throws IOException {
    return locked(() -> {
      List<String> expired = new ArrayList<>();
      try (PreparedStatement select = index.prepareStatement("SELECT id FROM blobs WHERE expires_at <= ?")) {
        select.setLong(1, now);
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            expired.add(rs.getString(1));
          }
        }
      }
      int count = 0;
      for (String id : expired) {
        count += deleteLocked(id) ? 1 : 0;
      }
      sweepOrphans();
      return count;
    });
  }

  @Override
  public void close() {
    lock.lock();
    try {
      for (FileUpload upload : active.values()) {
        upload.supersede();
      }
      active.clear();
      closeQuietly(reservations);
      closeQuietly(index);
    } finally {
      lock.unlock();
    }
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      // closing anyway
    }
  }

  // ---------------------------------------------------------------- under the lock

  private Optional<Blob> row(String id) throws SQLException, IOException {
    try (PreparedStatement select =
        index.prepareStatement(
            "SELECT account, uploader, kind, size, uploaded, expires_at FROM blobs WHERE id = ?")) {
      select.setString(1, id);
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        boolean uploaded = rs.getInt(5) == 1;
        long size = rs.getLong(4);
        return Optional.of(
            new Blob(
                id,
                UUID.fromString(rs.getString(1)),
                rs.getInt(2),
                Kind.valueOf(rs.getString(3)),
                size,
                uploaded ? size : length(file(id, PART)),
                rs.getLong(6),
                uploaded));
      }
    }
  }

  private boolean deleteLocked(String id) throws SQLException, IOException {
    FileUpload running = active.remove(id);
    if (running != null) {
      running.supersede();
    }
    int rows;
    boolean autoCommit = index.getAutoCommit();
    index.setAutoCommit(false);
    try (PreparedStatement recipients = index.prepareStatement("DELETE FROM blob_recipients WHERE blob_id = ?");
        PreparedStatement blob = index.prepareStatement("DELETE FROM blobs WHERE id = ?")) {
      recipients.setString(1, id);
      recipients.executeUpdate();
      blob.setString(1, id);
      rows = blob.executeUpdate();
      index.commit();
    } catch (SQLException e) {
      index.rollback();
      throw e;
    } finally {
      index.setAutoCommit(autoCommit);
    }
    Files.deleteIfExists(file(id, BLOB));
    Files.deleteIfExists(file(id, PART));
    return rows == 1;
  }

  /** Bytes without an index row: left by a crash between the two, or by an older layout (meta files). */
  private void sweepOrphans() throws SQLException, IOException {
    Set<String> known = new HashSet<>();
    try (Statement select = index.createStatement(); ResultSet rs = select.executeQuery("SELECT id FROM blobs")) {
      while (rs.next()) {
        known.add(rs.getString(1));
      }
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        String id = dot > 0 ? name.substring(0, dot) : name;
        if (BlobIds.valid(id) && !known.contains(id)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private Path file(String id, String suffix) {
    return directory.resolve(id + suffix);
  }

  private static long length(Path file) throws IOException {
    try {
      return Files.size(file);
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  @FunctionalInterface
  private interface Locked<T> {
    T run() throws SQLException, IOException;
  }

  private <T> T locked(Locked<T> work) throws IOException {
    lock.lock();
    try {
      return work.run();
    } catch (SQLException e) {
      throw new IOException("the blob index failed: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  @FunctionalInterface
  private interface Sql<T> {
    T apply(Connection connection) throws SQLException;
  }

  private <T> T sql(Sql<T> work) throws IOException {
    return locked(() -> work.apply(index));
  }

  private final class FileUpload implements Upload {
    private final Blob blob;
    private final FileChannel channel;
    private long written;
    /** Where the last early fsync began, and the thread doing it (null before the first). */
    private long syncStarted;
    private Thread syncing;
    /** Fsyncs the directory, so the part's name is on disk (see the class comment); joined before completing. */
    private Thread directorySync;
    private volatile boolean directorySynced;
    private boolean ended;
    private boolean superseded;

    FileUpload(Blob blob, FileChannel channel, long offset) {
      this.blob = blob;
      this.channel = channel;
      this.written = offset;
      this.syncStarted = offset;
    }

    @Override
    public synchronized void write(ByteBuffer bytes) throws IOException {
      if (superseded) {
        throw new StateException("a newer upload of this blob took over");
      }
      if (ended) {
        throw new StateException("this upload has ended");
      }
      if (written + bytes.remaining() > blob.size()) {
        throw new StateException("the upload is larger than the " + blob.size() + " bytes reserved");
      }
      while (bytes.hasRemaining()) {
        written += channel.write(bytes);
      }
      if (written - syncStarted >= SYNC_EVERY && (syncing == null || !syncing.isAlive())) {
        // The disk takes the bytes while the rest arrives: the fsync that completes the blob is left
        // with the last few MB, not the whole file. Not awaited here; complete() waits for it.
        syncStarted = written;
        syncing = Thread.ofVirtual().name("blob-sync-" + blob.id()).start(this::syncQuietly);
      }
    }

    private void syncQuietly() {
      try {
        channel.force(false);
      } catch (IOException e) {
        // closed meanwhile (superseded, ended) or failing: complete()'s own fsync is the one that counts
      }
    }

    @Override
    public synchronized long written() {
      return written;
    }

    // complete and close take the store's lock only after leaving this upload's monitor: supersede
    // is called under the store's lock and takes the monitor, so the other order would deadlock.

    @Override
    public void complete(long expiresAt) throws IOException {
      synchronized (this) {
        if (superseded || ended) {
          throw new StateException("this upload has ended or a newer one took over");
        }
        if (written != blob.size()) {
          throw new StateException("the upload has " + written + " bytes but " + blob.size() + " were reserved");
        }
        awaitSync();
        channel.force(true);
        channel.close();
        ended = true;
      }
      locked(() -> {
        active.remove(blob.id(), this);
        if (row(blob.id()).isEmpty()) {
          throw new StateException("the blob expired or was deleted while it was being uploaded");
        }
        // Not fsynced: the row that says "uploaded" is the commit point, and open() reads the part of a
        // blob whose rename a power cut lost (its bytes were fsynced above).
        Files.move(file(blob.id(), PART), file(blob.id(), BLOB), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        try (PreparedStatement update =
            index.prepareStatement("UPDATE blobs SET uploaded = 1, expires_at = ? WHERE id = ?")) {
          update.setLong(1, expiresAt);
          update.setString(2, blob.id());
          update.executeUpdate();
        }
        return null;
      });
    }

    /** What arrived so far goes to disk, so that the offset told to a resuming client holds after a crash. */
    @Override
    public void close() throws IOException {
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
        try {
          channel.force(false);
        } finally {
          channel.close();
        }
      }
      locked(() -> active.remove(blob.id(), this));
    }

    void syncDirectory() {
      directorySync = Thread.ofVirtual().name("blob-dir-sync-" + blob.id()).start(() -> {
        try {
          org.parley.protocol.DurableFiles.syncDirectory(directory);
          directorySynced = true;
        } catch (IOException e) {
          // complete() fsyncs it itself then
        }
      });
    }

    private void awaitSync() throws IOException {
      try {
        if (syncing != null) {
          syncing.join();
        }
        directorySync.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while the blob went to disk");
      }
      if (!directorySynced) {
        org.parley.protocol.DurableFiles.syncDirectory(directory);
      }
    }

    /** Called under the store's lock: waits for a write under way, then stops this upload for good. */
    synchronized void supersede() {
      superseded = true;
      if (!ended) {
        ended = true;
        try {
          channel.force(false);
          channel.close();
        } catch (IOException e) {
          // the newer upload continues from whatever the file holds
        }
      }
    }
  }
}
