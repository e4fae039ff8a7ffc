package org.parley.server.store.postgres;

import com.google.protobuf.ByteString;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.Queues;

/**
 * Per-device queues shared by every node. Appends and deletes go through the node's {@link
 * GroupCommit}; an append locks its destination queues first (see the schema's {@code lock_queues})
 * so each device's positions grow in commit order whichever nodes write.
 */
final class PostgresQueues implements Queues {
  private static final int PURGE_PAGE = 1000;
  /**
   * Queue lengths only bound a device that never comes online, so a count may be this old: other
   * nodes' appends and acks show up within it, this node's at once.
   */
  private static final long COUNT_FRESH_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final PostgresDatabase db;
  private final Map<DeviceAddress, Length> lengths = new ConcurrentHashMap<>();
  /** Queue bytes, kept like the lengths: this node's appends at once, everything else when recounted. */
  private final Map<DeviceAddress, Length> sizes = new ConcurrentHashMap<>();

  private record Length(AtomicLong value, long countedAt) {}

  PostgresQueues(PostgresDatabase db) {
    this.db = db;
  }

  /** The advisory lock that orders appends to one device's queue (any 64-bit mix will do). */
  static long lockKey(DeviceAddress device) {
    UUID account = device.account();
    long h = account.getMostSignificantBits() * 0x9E3779B97F4A7C15L + account.getLeastSignificantBits();
    return h * 31 + device.device();
  }

  @Override
  public CompletableFuture<List<QueuedEnvelope>> append(List<NewEnvelope> envelopes) {
    if (envelopes.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    Set<DeviceAddress> destinations = new LinkedHashSet<>();
    envelopes.forEach(e -> destinations.add(e.destination()));
    long[] locks = destinations.stream().mapToLong(PostgresQueues::lockKey).toArray();
    return db.write(locks, c -> insert(c, envelopes))
        .thenApply(
            stored -> {
              for (QueuedEnvelope e : stored) {
                Length size = sizes.get(e.destination());
                if (size != null) {
                  size.value().addAndGet(e.envelope().length);
                }
                Length length = lengths.get(e.destination());
                if (length != null) {
                  length.value().incrementAndGet();
                }
              }
              return stored;
            });
  }

  /**
   * Inserts the rows in list order (so positions follow it). A guid already stored (this batch ran
   * before, and its commit answer was lost) keeps the position it got then.
   */
  private static List<QueuedEnvelope> insert(Connection c, List<NewEnvelope> all) throws SQLException {
    // What a device acked while this write waited for its turn is never written.
    List<NewEnvelope> envelopes = all.stream().filter(e -> e.claim().claimForWrite()).toList();
    int n = envelopes.size();
    if (n == 0) {
      return List.of();
    }
    UUID[] accounts = new UUID[n];
    Integer[] devices = new Integer[n];
    byte[][] guids = new byte[n][];
    Long[] times = new Long[n];
    byte[][] bodies = new byte[n][];
    for (int i = 0; i < n; i++) {
      NewEnvelope e = envelopes.get(i);
      accounts[i] = e.destination().account();
      devices[i] = e.destination().device();
      guids[i] = e.guid();
      times[i] = e.serverTimestamp();
      bodies[i] = e.envelope();
    }
    Map<ByteString, Long> seqs = new HashMap<>();
    Array guidArray = c.createArrayOf("bytea", guids);
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO queue (account_id, device_id, guid, server_ts, envelope)"
                + " SELECT a, d, g, t, e FROM unnest(?::uuid[], ?::int[], ?::bytea[], ?::bigint[], ?::bytea[])"
                + " WITH ORDINALITY AS x(a, d, g, t, e, n) ORDER BY n"
                + " ON CONFLICT (guid) DO NOTHING RETURNING guid, seq")) {
      insert.setArray(1, c.createArrayOf("uuid", accounts));
      insert.setArray(2, c.createArrayOf("integer", devices));
      insert.setArray(3, guidArray);
      insert.setArray(4, c.createArrayOf("bigint", times));
      insert.setArray(5, c.createArrayOf("bytea", bodies));
      collect(insert, seqs);
    }
    if (seqs.size() < n) {
      try (PreparedStatement earlier = c.prepareStatement("SELECT guid, seq FROM queue WHERE guid = ANY(?)")) {
        earlier.setArray(1, guidArray);
        collect(earlier, seqs);
      }
    }
    List<QueuedEnvelope> stored = new ArrayList<>(n);
    for (NewEnvelope e : envelopes) {
      Long seq = seqs.get(ByteString.copyFrom(e.guid()));
      if (seq == null) {
        throw new SQLException("envelope was neither stored nor found");
      }
      stored.add(new QueuedEnvelope(seq, e.destination(), e.guid(), e.serverTimestamp(), e.envelope()));
    }
    return stored;
  }

  private static void collect(PreparedStatement statement, Map<ByteString, Long> seqs) throws SQLException {
    try (ResultSet rs = statement.executeQuery()) {
      while (rs.next()) {
        seqs.put(ByteString.copyFrom(rs.getBytes(1)), rs.getLong(2));
      }
    }
  }

  @Override
  public List<QueuedEnvelope> read(DeviceAddress device, long afterSeq, int limit) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT seq, guid, server_ts, envelope FROM queue WHERE account_id = ? AND device_id = ? AND seq > ?"
                      + " ORDER BY seq LIMIT ?")) {
            select.setObject(1, device.account());
            select.setInt(2, device.device());
            select.setLong(3, afterSeq);
            select.setInt(4, limit);
            List<QueuedEnvelope> out = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                out.add(new QueuedEnvelope(rs.getLong(1), device, rs.getBytes(2), rs.getLong(3), rs.getBytes(4)));
              }
            }
            return out;
          }
        });
  }

  @Override
  public CompletableFuture<Void> delete(DeviceAddress device, List<Long> seqs) {
    Long[] positions = seqs.toArray(Long[]::new);
    return db.write(
            new long[0],
            c -> {
              try (PreparedStatement delete =
                  c.prepareStatement("DELETE FROM queue WHERE account_id = ? AND device_id = ? AND seq = ANY(?)")) {
                delete.setObject(1, device.account());
                delete.setInt(2, device.device());
                delete.setArray(3, c.createArrayOf("bigint", positions));
                return delete.executeUpdate();
              }
            })
        .thenAccept(
            deleted -> {
              // Bytes are recounted rather than tracked through deletes (which know only positions).
              sizes.remove(device);
              Length length = lengths.get(device);
              if (length != null) {
                length.value().addAndGet(-deleted);
              }
            });
  }

  @Override
  public long totalLength() {
    return db.read(
        c -> {
          try (var count = c.createStatement();
              ResultSet rs = count.executeQuery("SELECT COUNT(*) FROM queue")) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  @Override
  public long length(DeviceAddress device) {
    long now = System.nanoTime();
    Length length = lengths.get(device);
    if (length == null || now - length.countedAt() > COUNT_FRESH_NANOS) {
      length = new Length(new AtomicLong(count(device)), now);
      lengths.put(device, length);
    }
    return length.value().get();
  }

  @Override
  public long bytes(DeviceAddress device) {
    long now = System.nanoTime();
    Length size = sizes.get(device);
    if (size == null || now - size.countedAt() > COUNT_FRESH_NANOS) {
      size = new Length(new AtomicLong(sum(device)), now);
      sizes.put(device, size);
    }
    return size.value().get();
  }

  private long sum(DeviceAddress device) {
    return db.read(
        c -> {
          try (PreparedStatement sum =
              c.prepareStatement(
                  "SELECT COALESCE(SUM(octet_length(envelope)), 0) FROM queue WHERE account_id = ? AND device_id = ?")) {
            sum.setObject(1, device.account());
            sum.setInt(2, device.device());
            try (ResultSet rs = sum.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  private long count(DeviceAddress device) {
    return db.read(
        c -> {
          try (PreparedStatement count =
              c.prepareStatement("SELECT COUNT(*) FROM queue WHERE account_id = ? AND device_id = ?")) {
            count.setObject(1, device.account());
            count.setInt(2, device.device());
            try (ResultSet rs = count.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  /** Forget a device's count after a bulk delete (purge on unlink, re-registration). */
  void forget(DeviceAddress device) {
    lengths.remove(device);
    sizes.remove(device);
  }

  static void purge(Connection c, DeviceAddress device) throws SQLException {
    try (PreparedStatement delete = c.prepareStatement("DELETE FROM queue WHERE account_id = ? AND device_id = ?")) {
      delete.setObject(1, device.account());
      delete.setInt(2, device.device());
      delete.executeUpdate();
    }
  }

  /** Deletes by age, a page per commit, so no transaction holds many rows for long. */
  @Override
  public int purgeStoredBefore(long serverTimestamp) {
    int total = 0;
    while (true) {
      int deleted =
          db.transaction(
              c -> {
                try (PreparedStatement delete =
                    c.prepareStatement(
                        "DELETE FROM queue WHERE ctid IN (SELECT ctid FROM queue WHERE server_ts < ? LIMIT ?)")) {
                  delete.setLong(1, serverTimestamp);
                  delete.setInt(2, PURGE_PAGE);
                  return delete.executeUpdate();
                }
              });
      total += deleted;
      if (deleted < PURGE_PAGE) {
        break;
      }
    }
    if (total > 0) {
      lengths.clear();
      sizes.clear();
    }
    return total;
  }
}
