package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of an SQLite database. Work submitted by many threads is run in batches, one
 * transaction and so one fsync per batch (group commit); each piece of work runs under its own
 * savepoint so that one failing piece does not undo the others. A future completes only after the
 * commit that made its work durable.
 */
final class GroupCommitWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final int MAX_BATCH = 512;

  private final Connection connection;
  private final BlockingQueue<Task<?>> tasks = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closing;

  GroupCommitWriter(Connection connection, String name) throws SQLException {
    this.connection = connection;
    connection.setAutoCommit(false);
    this.thread = Thread.ofPlatform().name(name).daemon().start(this::run);
  }

  <T> CompletableFuture<T> submit(SqlWork<T> work) {
    Task<T> task = new Task<>(work);
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
      } finally {
        batch.clear();
      }
    }
  }

  private void runBatch(List<Task<?>> batch) {
    for (Task<?> task : batch) {
      task.runIn(connection);
    }
    try {
      connection.commit();
    } catch (SQLException e) {
      log.error("commit of {} writes failed", batch.size(), e);
      try {
        connection.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      batch.forEach(task -> task.future.completeExceptionally(e));
      return;
    }
    batch.forEach(Task::complete);
  }

  @Override
  public void close() {
    closing = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Work submitted while closing may have missed the writer's last look at the queue.
    for (Task<?> late; (late = tasks.poll()) != null; ) {
      late.future.completeExceptionally(new IllegalStateException("storage is closed"));
    }
    try {
      connection.close();
    } catch (SQLException e) {
      log.warn("closing the writer connection failed", e);
    }
  }

  private static final class Task<T> {
    private final SqlWork<T> work;
    private final CompletableFuture<T> future = new CompletableFuture<>();
    private T result;
    private Throwable failure;

    Task(SqlWork<T> work) {
      this.work = work;
    }

    void runIn(Connection connection) {
      Savepoint savepoint = null;
      try {
        savepoint = connection.setSavepoint();
        result = work.apply(connection);
        connection.releaseSavepoint(savepoint);
      } catch (Exception | Error e) {
        failure = e;
        if (savepoint != null) {
          try {
            connection.rollback(savepoint);
            connection.releaseSavepoint(savepoint);
          } catch (SQLException rollback) {
            e.addSuppressed(rollback);
          }
        }
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
