package org.parley.server.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.server.blobs.BlobIds;
import org.parley.server.blobs.BlobStore;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.StorageException;

/**
 * Blobs every node reaches (DESIGN.md §10): what is known about a blob in the row {@code blobs}, its
 * bytes in {@code blob_chunks} rows of up to {@link #CHUNK_BYTES}, keyed by their offset. An upload
 * gathers one chunk in memory and appends it in one transaction with the count of bytes held, so
 * what was appended is exactly what a resumed upload continues after, on whichever node. A download
 * reads one chunk at a time. Memory per transfer is one chunk, whatever the blob's size.
 *
 * <p>Every upload that starts raises the blob's {@code generation}; a chunk is appended only by the
 * upload of the current generation. An older upload on this node is told at once (its next write
 * fails); one on another node finds out at its next append, and none of its bytes are kept.
 *
 * <p>Its own small pool: chunks are large and slow next to queue rows, and a burst of uploads must
 * not take the connections that sends and acks need.
 */
public final class PostgresBlobStore implements BlobStore {
  static final int CHUNK_BYTES = 256 * 1024;
  private static final int POOL_SIZE = 4;
  private static final int EXPIRE_PAGE = 100;

  private final PostgresDatabase db;
  /** Uploads open on this node, by blob id. */
  private final Map<String, ChunkedUpload> active = new ConcurrentHashMap<>();

  public PostgresBlobStore(StoreUrl url) {
    this.db = new PostgresDatabase(url, "parley-postgres-blobs", POOL_SIZE);
  }

  @Override
  public Blob reserve(UUID account, int uploader, Kind kind, long size, long expiresAt) throws IOException {
    String id = BlobIds.random();
    sql(
        true,
        c -> {
          try (PreparedStatement insert =
              c.prepareStatement(
                  "INSERT INTO blobs (id, account_id, uploader, kind, size, expires_at) VALUES (?,?,?,?,?,?)")) {
            insert.setString(1, id);
            insert.setObject(2, account);
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
    return sql(false, c -> row(c, id, false)).map(State::blob);
  }

  @Override
  public Usage usage(UUID account) throws IOException {
    return sql(
        false,
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE account_id = ?")) {
            select.setObject(1, account);
            try (ResultSet rs = select.executeQuery()) {
              rs.next();
              return new Usage(rs.getInt(1), rs.getLong(2));
            }
          }
        });
  }

  /** The database's disk is its operator's to watch: PostgreSQL does not tell a client its free space. */
  @Override
  public long freeSpace() {
    return Long.MAX_VALUE;
  }

  @Override
  public Upload upload(String id, long offset) throws IOException {
    if (!BlobIds.valid(id)) {
      throw new StateException("no such blob");
    }
    // Under the row's lock: the generation, the bytes held and the starting offset agree.
    State started =
        sql(
            true,
            c -> {
              State state = row(c, id, true).orElseThrow(() -> new Refused("no such blob"));
              if (state.blob().uploaded()) {
                throw new Refused("this blob has been uploaded already");
              }
              long held = state.blob().received();
              if (offset != 0 && offset != held) {
                throw new Refused(
                    "the server holds " + held + " bytes of this blob; continue at that offset (or start over at 0)");
              }
              if (offset == 0 && held > 0) {
                try (PreparedStatement delete = c.prepareStatement("DELETE FROM blob_chunks WHERE blob_id = ?")) {
                  delete.setString(1, id);
                  delete.executeUpdate();
                }
              }
              try (PreparedStatement update =
                  c.prepareStatement(
                      "UPDATE blobs SET generation = generation + 1, received = ? WHERE id = ? RETURNING generation")) {
                update.setLong(1, offset);
                update.setString(2, id);
                try (ResultSet rs = update.executeQuery()) {
                  rs.next();
                  return new State(state.blob(), rs.getLong(1));
                }
              }
            });
    ChunkedUpload upload = new ChunkedUpload(started.blob(), started.generation(), offset);
    ChunkedUpload previous = active.put(id, upload);
    if (previous != null) {
      previous.supersede();
    }
    return upload;
  }

  @Override
  public InputStream open(String id, long offset) throws IOException {
    Blob blob = find(id).filter(Blob::uploaded).orElseThrow(() -> new NoSuchFileException(id));
    if (offset < 0 || offset > blob.size()) {
      throw new IOException("offset " + offset + " is outside blob " + id + " of " + blob.size() + " bytes");
    }
    return new ChunkStream(blob, offset);
  }

  @Override
  public boolean address(String id, Collection<DeviceAddress> devices, long now, long keepUntil) throws IOException {
    UUID[] accounts = devices.stream().map(DeviceAddress::account).toArray(UUID[]::new);
    Integer[] ids = devices.stream().map(DeviceAddress::device).toArray(Integer[]::new);
    return sql(
        true,
        c -> {
          try (PreparedStatement keep =
              c.prepareStatement(
                  "UPDATE blobs SET expires_at = GREATEST(expires_at, ?) WHERE id = ? AND uploaded AND expires_at > ?")) {
            keep.setLong(1, keepUntil);
            keep.setString(2, id);
            keep.setLong(3, now);
            if (keep.executeUpdate() == 0) {
              return false; // nothing else was written in this transaction
            }
          }
          try (PreparedStatement insert =
              c.prepareStatement(
                  "INSERT INTO blob_recipients (blob_id, account_id, device_id)"
                      + " SELECT ?, a, d FROM unnest(?::uuid[], ?::int[]) AS x(a, d)"
                      + " ON CONFLICT DO NOTHING")) {
            insert.setString(1, id);
            insert.setArray(2, c.createArrayOf("uuid", accounts));
            insert.setArray(3, c.createArrayOf("integer", ids));
            insert.executeUpdate();
          }
          return true;
        });
  }

  @Override
  public boolean addressed(String id, UUID account) throws IOException {
    return sql(
        false,
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT 1 FROM blob_recipients WHERE blob_id = ? AND account_id = ? LIMIT 1")) {
            select.setString(1, id);
            select.setObject(2, account);
            try (ResultSet rs = select.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  @Override
  public boolean addressedToAnyone(String id) throws IOException {
    return sql(
        false,
        c -> {
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
    return sql(
        true,
        c -> {
          try (PreparedStatement mark =
              c.prepareStatement(
                  "UPDATE blob_recipients SET fetched = true WHERE blob_id = ? AND account_id = ? AND device_id = ?")) {
            mark.setString(1, id);
            mark.setObject(2, device.account());
            mark.setInt(3, device.device());
            if (mark.executeUpdate() == 0) {
              return -1;
            }
          }
          try (PreparedStatement count =
              c.prepareStatement("SELECT COUNT(*) FROM blob_recipients WHERE blob_id = ? AND NOT fetched")) {
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
    sql(
        true,
        c -> {
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
    stopLocal(id);
    return sql(
        true,
        c -> {
          try (PreparedStatement delete = c.prepareStatement("DELETE FROM blobs WHERE id = ?")) {
            delete.setString(1, id);
            return delete.executeUpdate() == 1;
          }
        });
  }

  /** Deletes in pages (a chunk row each for every 256 KiB goes with its blob), so no transaction grows large. */
  @Override
  public int expire(long now) throws IOException {
    int count = 0;
    while (true) {
      var deleted =
          sql(
              true,
              c -> {
                try (PreparedStatement delete =
                    c.prepareStatement(
                        // The outer expires_at is checked again on a row a keep (address) updated while this
                        // waited for it; the sub-select's is not (PostgreSQL re-reads only the outer WHERE).
                        "DELETE FROM blobs WHERE id IN (SELECT id FROM blobs WHERE expires_at <= ? LIMIT ?)"
                            + " AND expires_at <= ? RETURNING id")) {
                  delete.setLong(1, now);
                  delete.setInt(2, EXPIRE_PAGE);
                  delete.setLong(3, now);
                  List<String> ids = new ArrayList<>();
                  try (ResultSet rs = delete.executeQuery()) {
                    while (rs.next()) {
                      ids.add(rs.getString(1));
                    }
                  }
                  return ids;
                }
              });
      deleted.forEach(this::stopLocal);
      count += deleted.size();
      if (deleted.size() < EXPIRE_PAGE) {
        return count;
      }
    }
  }

  /** Uploads still open keep what they gathered (as their own close would), then stop. */
  @Override
  public void close() {
    for (ChunkedUpload upload : active.values()) {
      try {
        upload.close();
      } catch (IOException e) {
        // the client resumes from what the database holds
      }
    }
    active.clear();
    db.close();
  }

  // ---------------------------------------------------------------- rows

  /** A blob and the generation of its latest upload. */
  private record State(Blob blob, long generation) {}

  private static Optional<State> row(Connection c, String id, boolean forUpdate) throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT account_id, uploader, kind, size, received, uploaded, expires_at, generation FROM blobs"
                + " WHERE id = ?" + (forUpdate ? " FOR UPDATE" : ""))) {
      select.setString(1, id);
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        Blob blob =
            new Blob(
                id,
                rs.getObject(1, UUID.class),
                rs.getInt(2),
                Kind.valueOf(rs.getString(3)),
                rs.getLong(4),
                rs.getLong(5),
                rs.getLong(7),
                rs.getBoolean(6));
        return Optional.of(new State(blob, rs.getLong(8)));
      }
    }
  }

  private void stopLocal(String id) {
    ChunkedUpload running = active.remove(id);
    if (running != null) {
      running.supersede();
    }
  }

  /** A refusal decided inside a transaction: rolls it back, and reaches the caller as a {@link StateException}. */
  private static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** Runs work in a transaction (or on a plain connection); database failures become IOExceptions. */
  private <T> T sql(boolean transaction, SqlWork<T> work) throws IOException {
    try {
      return transaction ? db.transaction(work) : db.read(work);
    } catch (Refused e) {
      throw new StateException(e.getMessage());
    } catch (StorageException e) {
      throw new IOException("the blob store failed: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- moving bytes

  private final class ChunkedUpload implements Upload {
    private final Blob blob;
    private final long generation;
    private final byte[] chunk;
    private int gathered;
    /** Bytes appended to the database for good. */
    private long appended;
    private boolean ended;
    private boolean superseded;

    ChunkedUpload(Blob blob, long generation, long offset) {
      this.blob = blob;
      this.generation = generation;
      this.appended = offset;
      this.chunk = new byte[(int) Math.min(CHUNK_BYTES, Math.max(1, blob.size() - offset))];
    }

    @Override
    public synchronized void write(ByteBuffer bytes) throws IOException {
      if (superseded) {
        throw new StateException("a newer upload of this blob took over");
      }
      if (ended) {
        throw new StateException("this upload has ended");
      }
      if (written() + bytes.remaining() > blob.size()) {
        throw new StateException("the upload is larger than the " + blob.size() + " bytes reserved");
      }
      while (bytes.hasRemaining()) {
        int n = Math.min(bytes.remaining(), chunk.length - gathered);
        bytes.get(chunk, gathered, n);
        gathered += n;
        if (gathered == chunk.length) {
          append();
        }
      }
    }

    @Override
    public synchronized long written() {
      return appended + gathered;
    }

    @Override
    public synchronized void complete(long expiresAt) throws IOException {
      if (superseded || ended) {
        throw new StateException("this upload has ended or a newer one took over");
      }
      if (written() != blob.size()) {
        throw new StateException("the upload has " + written() + " bytes but " + blob.size() + " were reserved");
      }
      append();
      ended = true;
      active.remove(blob.id(), this);
      sql(
          true,
          c -> {
            try (PreparedStatement update =
                c.prepareStatement(
                    "UPDATE blobs SET uploaded = true, expires_at = ?"
                        + " WHERE id = ? AND generation = ? AND received = size")) {
              update.setLong(1, expiresAt);
              update.setString(2, blob.id());
              update.setLong(3, generation);
              if (update.executeUpdate() == 0) {
                throw new Refused(lost(c));
              }
              return null;
            }
          });
    }

    /** What was gathered is appended, so a later upload (on any node) continues after it. */
    @Override
    public synchronized void close() throws IOException {
      if (ended) {
        return;
      }
      ended = true;
      active.remove(blob.id(), this);
      if (!superseded) {
        append();
      }
    }

    /** A newer upload on this node took over (or the blob went): nothing more is appended from here. */
    synchronized void supersede() {
      superseded = true;
      ended = true;
      gathered = 0;
    }

    /** Appends the gathered bytes as one chunk, if this is still the blob's current upload. */
    private void append() throws IOException {
      if (gathered == 0) {
        return;
      }
      int length = gathered;
      long start = appended;
      byte[] data = length == chunk.length ? chunk : Arrays.copyOf(chunk, length);
      try {
        sql(
            true,
            c -> {
              try (PreparedStatement held =
                  c.prepareStatement(
                      "UPDATE blobs SET received = received + ?"
                          + " WHERE id = ? AND generation = ? AND received = ? AND NOT uploaded")) {
                held.setLong(1, length);
                held.setString(2, blob.id());
                held.setLong(3, generation);
                held.setLong(4, start);
                if (held.executeUpdate() == 0) {
                  throw new Refused(lost(c));
                }
              }
              try (PreparedStatement insert =
                  c.prepareStatement("INSERT INTO blob_chunks (blob_id, start, data) VALUES (?,?,?)")) {
                insert.setString(1, blob.id());
                insert.setLong(2, start);
                insert.setBytes(3, data);
                return insert.executeUpdate();
              }
            });
      } catch (IOException e) {
        // Superseded, or the database failed and nobody knows whether the chunk went in: this upload
        // stops, and the client resumes from the offset the database holds.
        superseded = true;
        ended = true;
        throw e;
      } finally {
        gathered = 0;
      }
      appended += length;
    }

    /** Why this upload may no longer add to its blob. */
    private String lost(Connection c) throws SQLException {
      return row(c, blob.id(), false).isEmpty()
          ? "the blob expired or was deleted while it was being uploaded"
          : "a newer upload of this blob took over";
    }
  }

  /** The bytes of an uploaded blob from an offset, one chunk row in memory at a time. */
  private final class ChunkStream extends InputStream {
    private final Blob blob;
    private long position;
    private byte[] chunk = new byte[0];
    private long chunkStart;
    private boolean closed;

    ChunkStream(Blob blob, long offset) {
      this.blob = blob;
      this.position = offset;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      if (closed) {
        throw new IOException("stream closed");
      }
      if (length == 0) {
        return 0;
      }
      if (position >= blob.size()) {
        return -1;
      }
      if (position < chunkStart || position >= chunkStart + chunk.length) {
        fetch();
      }
      int from = (int) (position - chunkStart);
      int n = Math.min(length, chunk.length - from);
      System.arraycopy(chunk, from, into, offset, n);
      position += n;
      return n;
    }

    /** The chunk holding {@code position}: the last one starting at or before it. */
    private void fetch() throws IOException {
      boolean found =
          sql(
              false,
              c -> {
                try (PreparedStatement select =
                    c.prepareStatement(
                        "SELECT start, data FROM blob_chunks WHERE blob_id = ? AND start <= ?"
                            + " ORDER BY start DESC LIMIT 1")) {
                  select.setString(1, blob.id());
                  select.setLong(2, position);
                  try (ResultSet rs = select.executeQuery()) {
                    if (!rs.next()) {
                      return false;
                    }
                    chunkStart = rs.getLong(1);
                    chunk = rs.getBytes(2);
                    return true;
                  }
                }
              });
      if (!found || position >= chunkStart + chunk.length) {
        throw new IOException("blob " + blob.id() + " was deleted while it was being read");
      }
    }

    @Override
    public void close() {
      closed = true;
      chunk = new byte[0];
    }
  }
}
