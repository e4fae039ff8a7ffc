package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the write-ahead log back into the database file from a thread and connection of its own.
 *
 * <p>SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: that commit
 * writes the pages back and fsyncs the database file while the whole group-commit batch, and every
 * write queued behind it, waits (the 0.2-1 s stalls of issue 16). The writer therefore runs with
 * {@code wal_autocheckpoint=0} and this thread checkpoints PASSIVE every 100 ms, which never blocks
 * the writer. A passive checkpoint cannot let the log start over while commits keep landing, so
 * past {@link #RESTART_PAGES} pages it runs one RESTART: that waits for the writer's current batch,
 * copies the little that is left and lets the next commit write the log from its start.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);
  static final long INTERVAL_MILLIS = 100;
  /** About 32 MB of log with 4 KB pages. */
  static final int RESTART_PAGES = 8192;
  /**
   * How long a RESTART may wait for the writer's batch and for readers on older snapshots. While it
   * waits, SQLite holds off every new write: with the connection's usual 10 s a reader slow to finish
   * (a starved thread on a loaded machine) made the writer itself give up with SQLITE_BUSY and sends
   * fail. Bounded, the RESTART just tries again in the next round.
   */
  static final int RESTART_WAIT_MILLIS = 50;
  /** After a RESTART that could not finish (a reader on an old snapshot), the next waits this long. */
  static final long RESTART_BACKOFF_MILLIS = 1000;

  private final Connection connection;
  private final long intervalMillis;
  private final int restartPages;
  private final Thread thread;
  private volatile boolean closing;
  private volatile long restarts;

  /**
   * Checkpoints on {@code connection} (its own; its busy timeout becomes {@link #RESTART_WAIT_MILLIS}:
   * a RESTART that finds the writer busy waits that long for it instead of doing only a passive
   * round), every {@code intervalMillis}, restarting the log past {@code restartPages}.
   */
  WalCheckpointer(Connection connection, String name, long intervalMillis, int restartPages) {
    this.connection = connection;
    try (Statement statement = connection.createStatement()) {
      statement.execute("PRAGMA busy_timeout=" + RESTART_WAIT_MILLIS);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot set up the checkpoint connection: " + e.getMessage(), e);
    }
    this.intervalMillis = intervalMillis;
    this.restartPages = restartPages;
    this.thread = Thread.ofPlatform().name(name).daemon().start(this::run);
  }

  private void run() {
    long nextRestart = System.nanoTime();
    while (!closing) {
      try {
        TimeUnit.MILLISECONDS.sleep(intervalMillis);
        Progress passive = checkpoint("PASSIVE");
        if (passive.logPages() >= restartPages && System.nanoTime() - nextRestart >= 0) {
          Progress restart = checkpoint("RESTART");
          restarts++;
          log.debug("WAL of {} pages restarted ({} busy)", passive.logPages(), restart.busy());
          // Each try holds writes off for up to RESTART_WAIT_MILLIS: while it cannot finish, seldom.
          nextRestart =
              System.nanoTime() + (restart.busy() ? TimeUnit.MILLISECONDS.toNanos(RESTART_BACKOFF_MILLIS) : 0);
        }
      } catch (InterruptedException e) {
        return;
      } catch (SQLException e) {
        // The next round tries again; meanwhile the log only grows.
        log.warn("WAL checkpoint failed", e);
      }
    }
  }

  /** How many times the log had grown past its bound and was restarted. */
  long restarts() {
    return restarts;
  }

  /** What a checkpoint reports: whether it was blocked, pages in the log, pages copied back. */
  record Progress(boolean busy, int logPages, int checkpointedPages) {}

  Progress checkpoint(String mode) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      rs.next();
      return new Progress(rs.getInt(1) != 0, rs.getInt(2), rs.getInt(3));
    }
  }

  @Override
  public void close() {
    closing = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      connection.close();
    } catch (SQLException e) {
      log.warn("closing the checkpoint connection failed", e);
    }
  }
}
