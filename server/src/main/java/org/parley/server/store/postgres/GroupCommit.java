package org.parley.server.store.postgres;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's writer of queue appends and deletes: work submitted by many threads runs in batches,
 * one transaction (one WAL flush) per batch, each piece under its own savepoint so that one failing
 * piece does not undo the others. A future completes only after the commit that made its work
 * durable.
 *
 * <p>Each piece names the queues it appends to; the batch locks all of them first, in one call and
 * one order (see {@code lock_queues} in the schema), so positions grow in commit order per device
 * across nodes and two nodes' batches cannot deadlock.
 *
 * <p>When the connection breaks around a commit, nobody knows whether the commit happened, so the
 * whole batch runs once more on a fresh connection: every piece must be idempotent (appends are, by
 * their unique guid; deletes are by nature). If that fails too, the batch fails as unavailable.
 */
final class GroupCommit implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
  private static final int MAX_BATCH = 512;

  private final DataSource pool;
  private final BlockingQueue<Task<?>> tasks = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closing;

  GroupCommit(DataSource pool, String name) {
    this.pool = pool;
    this.thread = Thread.ofPlatform().name(name).daemon().start(this::run);
  }

  <T> CompletableFuture<T> submit(long[] queueLocks, SqlWork<T> work) {
    Task<T> task = new Task<>(queueLocks, work);
    if (closing) {
      task.future.completeExceptionally(new IllegalStateException("storage is closed"));
      return task.future;
    }
    tasks.add(task);
    return task.future;
  }

  private void run() {
    List<Task<?>> batch = new ArrayList<>(MAX_BATCH);
    while (!closing || !tasks.isEmpty()) {
      try {
        Task<?> first = tasks.poll(50, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        tasks.drainTo(batch, MAX_BATCH - 1);
        runBatch(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException | Error e) {
        log.error("the queue writer failed a batch of {}", batch.size(), e);
        batch.forEach(task -> task.future.completeExceptionally(e));
      } finally {
        batch.clear();
      }
    }
  }

  private void runBatch(List<Task<?>> batch) {
    SQLException failure = attempt(batch);
    // No connection to be had means nothing was tried; a connection lost on the way may have committed.
    if (failure != null
        && PostgresDatabase.isConnectionLoss(failure)
        && !(failure instanceof java.sql.SQLTransientConnectionException)) {
      log.warn("the database connection broke during a batch of {}; running it again", batch.size());
      failure = attempt(batch);
    }
    if (failure != null) {
      RuntimeException reported = PostgresDatabase.failure("write", failure);
      batch.forEach(task -> task.future.completeExceptionally(reported));
      return;
    }
    batch.forEach(Task::complete);
  }

  /** Runs and commits the batch; returns why the commit did not happen (or may not have). */
  private SQLException attempt(List<Task<?>> batch) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        lock(c, batch);
        for (Task<?> task : batch) {
          task.runIn(c);
        }
        c.commit();
        return null;
      } catch (SQLException e) {
        PostgresDatabase.rollbackQuietly(c, e);
        return e;
      } finally {
        try {
          c.setAutoCommit(true);
        } catch (SQLException ignored) {
          // a broken connection; the pool drops it
        }
      }
    } catch (SQLException e) {
      return e;
    }
  }

  private static void lock(Connection c, List<Task<?>> batch) throws SQLException {
    int count = 0;
    for (Task<?> task : batch) {
      count += task.queueLocks.length;
    }
    if (count == 0) {
      return;
    }
    Long[] keys = new Long[count];
    int i = 0;
    for (Task<?> task : batch) {
      for (long key : task.queueLocks) {
        keys[i++] = key;
      }
    }
    Array array = c.createArrayOf("bigint", keys);
    try (PreparedStatement lock = c.prepareStatement("SELECT lock_queues(?)")) {
      lock.setArray(1, array);
      lock.execute();
    } finally {
      array.free();
    }
  }

  @Override
  public void close() {
    closing = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Task<?> late; (late = tasks.poll()) != null; ) {
      late.future.completeExceptionally(new IllegalStateException("storage is closed"));
    }
  }

  private static final class Task<T> {
    private final long[] queueLocks;
    private final SqlWork<T> work;
    private final CompletableFuture<T> future = new CompletableFuture<>();
    private T result;
    private Exception failure;

    Task(long[] queueLocks, SqlWork<T> work) {
      this.queueLocks = queueLocks;
      this.work = work;
    }

    /** Runs the work under a savepoint; a broken connection fails the whole batch instead. */
    void runIn(Connection c) throws SQLException {
      failure = null;
      Savepoint savepoint = c.setSavepoint();
      try {
        result = work.apply(c);
        c.releaseSavepoint(savepoint);
      } catch (SQLException e) {
        if (PostgresDatabase.isConnectionLoss(e)) {
          throw e;
        }
        failure = PostgresDatabase.failure("write", e);
        c.rollback(savepoint);
      } catch (RuntimeException e) {
        failure = e;
        c.rollback(savepoint);
      }
    }

    void complete() {
      if (failure != null) {
        future.completeExceptionally(failure);
      } else {
        future.complete(result);
      }
    }
  }
}
