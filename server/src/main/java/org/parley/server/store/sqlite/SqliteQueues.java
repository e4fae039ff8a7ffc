package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.Queues;

final class SqliteQueues implements Queues {
  private static final int PURGE_PAGE = 1000;

  private final SqliteDatabase db;
  /**
   * Queue lengths and bytes, counted once per device and then kept up to date after each commit.
   * Only this process writes the file, so they can drift only by the writes racing a first count.
   */
  private final Map<DeviceAddress, Usage> lengths = new ConcurrentHashMap<>();

  private record Usage(AtomicLong count, AtomicLong bytes) {
    Usage(long count, long bytes) {
      this(new AtomicLong(count), new AtomicLong(bytes));
    }
  }

  SqliteQueues(SqliteDatabase db) {
    this.db = db;
  }

  @Override
  public CompletableFuture<List<QueuedEnvelope>> append(List<NewEnvelope> envelopes) {
    // Envelopes out to their devices before the commit: the writer waits a little for their acks,
    // since one acked first is never written (no insert, no delete later, less to fsync).
    return db.writeHeld(c -> insert(c, envelopes), new AckHold(envelopes))
        .thenApply(
            stored -> {
              for (QueuedEnvelope e : stored) {
                Usage usage = lengths.get(e.destination());
                if (usage != null) {
                  usage.count().incrementAndGet();
                  usage.bytes().addAndGet(e.envelope().length);
                }
              }
              return stored;
            });
  }

  /** An append held for the acks of its envelopes pushed early ({@link org.parley.server.store.WriteClaim}). */
  private record AckHold(List<NewEnvelope> envelopes) implements GroupCommitWriter.Hold<List<QueuedEnvelope>> {
    @Override
    public boolean worthWaiting() {
      for (NewEnvelope e : envelopes) {
        if (e.claim().awaitsAck()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public boolean writesNothing() {
      for (NewEnvelope e : envelopes) {
        if (!e.claim().acked()) {
          return false;
        }
      }
      return true;
    }

    @Override
    public List<QueuedEnvelope> nothingWritten() {
      return List.of();
    }
  }

  private List<QueuedEnvelope> insert(Connection c, List<NewEnvelope> all) throws SQLException {
    // What a device acked while this write waited for the writer is never written.
    List<NewEnvelope> envelopes = new ArrayList<>(all.size());
    for (NewEnvelope e : all) {
      if (e.claim().claimForWrite()) {
        envelopes.add(e);
      }
    }
    if (envelopes.isEmpty()) {
      return List.of();
    }
    PreparedStatement insert =
        db.prepared(c, "INSERT INTO queue (account_id, device_id, guid, server_ts, envelope) VALUES (?,?,?,?,?)");
    for (NewEnvelope e : envelopes) {
      insert.setString(1, e.destination().account().toString());
      insert.setInt(2, e.destination().device());
      insert.setBytes(3, e.guid());
      insert.setLong(4, e.serverTimestamp());
      insert.setBytes(5, e.envelope());
      insert.addBatch();
    }
    insert.executeBatch();
    long last;
    try (ResultSet rs = db.prepared(c, "SELECT last_insert_rowid()").executeQuery()) {
      rs.next();
      last = rs.getLong(1);
    }
    // The only writer inserts these rows back to back, so AUTOINCREMENT numbered them consecutively.
    long seq = last - envelopes.size() + 1;
    List<QueuedEnvelope> stored = new ArrayList<>(envelopes.size());
    for (NewEnvelope e : envelopes) {
      stored.add(new QueuedEnvelope(seq++, e.destination(), e.guid(), e.serverTimestamp(), e.envelope()));
    }
    return stored;
  }

  @Override
  public List<QueuedEnvelope> read(DeviceAddress device, long afterSeq, int limit) {
    return db.read(
        c -> {
          PreparedStatement select =
              db.prepared(
                  c,
                  "SELECT seq, guid, server_ts, envelope FROM queue WHERE account_id = ? AND device_id = ? AND seq > ? ORDER BY seq LIMIT ?");
          select.setString(1, device.account().toString());
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
        });
  }

  @Override
  public CompletableFuture<Void> delete(DeviceAddress device, List<Long> seqs) {
    Usage counted = lengths.get(device);
    // Without a savepoint: a delete that fails halfway leaves some acked envelopes deleted and the
    // rest queued (they come again and are acked again), and the count is taken afresh (below).
    return db.writePartialOk(
            c -> {
              // One statement per envelope that deletes it and says how big it was (prepared once).
              PreparedStatement delete =
                  db.prepared(
                      c,
                      "DELETE FROM queue WHERE seq = ? AND account_id = ? AND device_id = ? RETURNING length(envelope)");
              long deleted = 0;
              long bytes = 0;
              String account = device.account().toString();
              for (long seq : seqs) {
                delete.setLong(1, seq);
                delete.setString(2, account);
                delete.setInt(3, device.device());
                try (ResultSet rs = delete.executeQuery()) {
                  while (rs.next()) {
                    deleted++;
                    bytes += rs.getLong(1);
                  }
                }
              }
              return new long[] {deleted, bytes};
            })
        .whenComplete((deleted, failure) -> {
          if (failure != null) {
            lengths.remove(device);
          }
        })
        .thenAccept(
            deleted -> {
              Usage usage = lengths.get(device);
              if (usage != null && usage == counted) {
                usage.count().addAndGet(-deleted[0]);
                usage.bytes().addAndGet(-deleted[1]);
              } else if (usage != null) {
                // Counted while this delete was in flight: the count may or may not include it.
                lengths.remove(device, usage);
              }
            });
  }

  @Override
  public long length(DeviceAddress device) {
    return usage(device).count().get();
  }

  @Override
  public long bytes(DeviceAddress device) {
    return usage(device).bytes().get();
  }

  @Override
  public boolean countsKnown(DeviceAddress device) {
    return lengths.containsKey(device);
  }

  private Usage usage(DeviceAddress device) {
    return lengths.computeIfAbsent(device, this::count);
  }

  private Usage count(DeviceAddress device) {
    return db.read(
        c -> {
          PreparedStatement count =
              db.prepared(
                  c, "SELECT COUNT(*), COALESCE(SUM(length(envelope)), 0) FROM queue WHERE account_id = ? AND device_id = ?");
          count.setString(1, device.account().toString());
          count.setInt(2, device.device());
          try (ResultSet rs = count.executeQuery()) {
            rs.next();
            return new Usage(rs.getLong(1), rs.getLong(2));
          }
        });
  }

  @Override
  public long totalLength() {
    return db.read(
        c -> {
          try (Statement count = c.createStatement();
              ResultSet rs = count.executeQuery("SELECT COUNT(*) FROM queue")) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  /** Forget a device's count after a bulk delete (purge on unlink, re-registration). */
  void forget(DeviceAddress device) {
    lengths.remove(device);
  }

  static void purge(Connection c, DeviceAddress device) throws SQLException {
    try (PreparedStatement delete =
        c.prepareStatement("DELETE FROM queue WHERE account_id = ? AND device_id = ?")) {
      delete.setString(1, device.account().toString());
      delete.setInt(2, device.device());
      delete.executeUpdate();
    }
  }

  /**
   * Walks the whole queue in position order, one page per commit, so a purge never holds the writer
   * for long and needs no index on time. It cannot stop at the first page without old envelopes:
   * server times only roughly follow positions (sends stamped in one order can commit in the other,
   * clocks get stepped), so old envelopes can sit behind newer ones.
   */
  @Override
  public int purgeStoredBefore(long serverTimestamp) {
    int total = 0;
    long after = 0;
    while (true) {
      long from = after;
      PurgedPage page =
          db.writeAndWait(
              c -> {
                long last;
                try (PreparedStatement bound =
                    c.prepareStatement(
                        "SELECT MAX(seq) FROM (SELECT seq FROM queue WHERE seq > ? ORDER BY seq LIMIT ?)")) {
                  bound.setLong(1, from);
                  bound.setInt(2, PURGE_PAGE);
                  try (ResultSet rs = bound.executeQuery()) {
                    rs.next();
                    last = rs.getLong(1);
                    if (rs.wasNull()) {
                      return null;
                    }
                  }
                }
                try (PreparedStatement delete =
                    c.prepareStatement("DELETE FROM queue WHERE seq > ? AND seq <= ? AND server_ts < ?")) {
                  delete.setLong(1, from);
                  delete.setLong(2, last);
                  delete.setLong(3, serverTimestamp);
                  return new PurgedPage(last, delete.executeUpdate());
                }
              });
      if (page == null) {
        break;
      }
      after = page.last();
      total += page.deleted();
    }
    if (total > 0) {
      lengths.clear();
    }
    return total;
  }

  private record PurgedPage(long last, int deleted) {}
}
