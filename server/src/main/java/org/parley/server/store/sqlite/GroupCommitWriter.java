package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of an SQLite database. Work submitted by many threads is run in batches, one
 * transaction and so one fsync per batch (group commit); each piece of work runs under its own
 * savepoint so that one failing piece does not undo the others. A future completes only after the
 * commit that made its work durable.
 *
 * <p>Futures are completed on a thread of their own, batch after batch in commit order: what
 * callers chain on them (answers, deliveries) then never holds the writer, which starts the next
 * batch as soon as a commit returns.
 *
 * <p>Work may ask to be held back a little ({@link #submitHeld}): an append of envelopes already
 * pushed to their devices waits up to {@code holdNanos} for their acks, since one acked first
 * needs no insert, no delete and no share of an fsync. Work is still run in submission order, so
 * what was submitted after a held task waits with it; a hold ends early once nothing is left to
 * wait for (looked at every millisecond while the writer is otherwise idle), and never outlasts
 * {@code holdNanos}, a close, or a full batch waiting behind it (so what is held stays bounded). Nobody is told anything before the
 * commit, so a hold delays answers, never makes them untrue.
 */
final class GroupCommitWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final int MAX_BATCH = 512;

  /** A batch that took this long (work plus commit) is logged: it held every write behind it. */
  private static final long SLOW_BATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** How often a writer holding a lone task looks again whether the acks it waits for came. */
  private static final long HOLD_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final Connection connection;
  private final StatementCache statements;
  private final BlockingQueue<Task<?>> tasks = new LinkedBlockingQueue<>();
  /** Taken from {@link #tasks}, not run yet (a held task and what came after it); writer thread only. */
  private final ArrayDeque<Task<?>> waiting = new ArrayDeque<>();
  /** {@code waiting.size()} as last seen by the writer, for submitters to tell a full batch. */
  private volatile int waitingCount;
  private final long holdNanos;
  private final BlockingQueue<List<Task<?>>> committed = new LinkedBlockingQueue<>();
  private final Thread thread;
  private final Thread completions;
  private volatile boolean closing;
  /** Slept out in holds since the last batch (writer thread only; for {@link WriterBatchEvent}). */
  private long heldNanos;

  /** @param holdNanos the longest {@link #submitHeld} work is held back; 0 holds nothing */
  GroupCommitWriter(Connection connection, StatementCache statements, String name, long holdNanos)
      throws SQLException {
    this.connection = connection;
    this.statements = statements;
    this.holdNanos = holdNanos;
    connection.setAutoCommit(false);
    this.thread = Thread.ofPlatform().name(name).daemon().start(this::run);
    this.completions = Thread.ofPlatform().name(name + "-completions").daemon().start(this::complete);
  }

  <T> CompletableFuture<T> submit(SqlWork<T> work) {
    return submit(work, true);
  }

  /**
   * @param guarded whether the work runs under a savepoint of its own, so that its failure undoes
   *     it and nothing else in the batch; work that is as good done in part as not at all
   *     (deleting acked envelopes) skips the two statements
   */
  <T> CompletableFuture<T> submit(SqlWork<T> work, boolean guarded) {
    return enqueue(new Task<>(work, guarded, null, 0));
  }

  /** What the writer asks of work it may hold back; asked on the writer thread, so cheap and thread-safe. */
  interface Hold<T> {
    /** Running the work later may spare some of it (acks still on their way). */
    boolean worthWaiting();

    /**
     * Running the work now would change nothing in the database (every envelope acked): then it is
     * not run at all and its result is {@link #nothingWritten}. Once true, it stays true.
     */
    boolean writesNothing();

    /** The work's result when it writes nothing. */
    T nothingWritten();
  }

  /** Work the writer holds back for up to {@code holdNanos} from now while its hold says so. */
  <T> CompletableFuture<T> submitHeld(SqlWork<T> work, Hold<T> hold) {
    return enqueue(new Task<>(work, true, hold, System.nanoTime() + holdNanos));
  }

  private <T> CompletableFuture<T> enqueue(Task<T> task) {
    if (closing) {
      task.future.completeExceptionally(new IllegalStateException("storage is closed"));
      return task.future;
    }
    tasks.add(task);
    if (tasks.size() + waitingCount >= MAX_BATCH) {
      LockSupport.unpark(thread); // a full batch ends a hold the writer may be sleeping out
    }
    return task.future;
  }

  private void run() {
    try {
      while (!closing || !tasks.isEmpty() || !waiting.isEmpty()) {
        if (waiting.isEmpty()) {
          Task<?> first = tasks.poll(50, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          waiting.add(first);
        }
        tasks.drainTo(waiting);
        waitingCount = waiting.size();
        long hold = holdFor(waiting.getFirst());
        if (hold > 0) {
          // Alone, the held task may end its hold early (its acks came): look again soon. Under
          // load the writer sleeps out the hold at once; waking often would cost more than it saves.
          long parked = System.nanoTime();
          LockSupport.parkNanos(waiting.size() == 1 ? Math.min(hold, HOLD_SLICE_NANOS) : hold);
          heldNanos += System.nanoTime() - parked;
          continue;
        }
        List<Task<?>> batch = new ArrayList<>(Math.min(MAX_BATCH, waiting.size()));
        // Up to the first task still held: it and what follows go in a later batch, in order.
        while (!waiting.isEmpty() && batch.size() < MAX_BATCH && holdFor(waiting.getFirst()) <= 0) {
          batch.add(waiting.removeFirst());
        }
        runBatch(batch);
        committed.add(batch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      committed.add(List.of()); // tells the completions thread that no batch follows
    }
  }

  /** Nanoseconds the task is still to be held back, or 0 to run it now. */
  private long holdFor(Task<?> task) {
    // A full batch waiting is never held: what is held stays bounded by one batch.
    if (task.hold == null || closing || waiting.size() >= MAX_BATCH) {
      return 0;
    }
    long left = task.holdUntil - System.nanoTime();
    return left > 0 && task.hold.worthWaiting() ? left : 0;
  }

  private void runBatch(List<Task<?>> batch) {
    WriterBatchEvent event = new WriterBatchEvent();
    event.begin();
    long start = System.nanoTime();
    event.tasks = batch.size();
    event.oldestWait = start - batch.getFirst().submittedAt;
    event.held = heldNanos;
    heldNanos = 0;
    if (batch.stream().allMatch(Task::writesNothing)) {
      // Appends whose every envelope was acked first: nothing to run, lock, commit or sync.
      batch.forEach(Task::skip);
      event.skipped = true;
      event.commit();
      return;
    }
    try {
      takeWriteLock();
    } catch (SQLException e) {
      batch.forEach(task -> task.fail(e));
      return;
    }
    // One task alone needs no savepoint: if it fails, the whole transaction is its own to undo.
    boolean alone = batch.size() == 1;
    for (Task<?> task : batch) {
      task.runIn(connection, alone ? null : statements);
    }
    long worked = System.nanoTime();
    if (alone && batch.getFirst().failure != null) {
      try {
        connection.rollback(); // undoes whatever the failed work did before it failed
      } catch (SQLException e) {
        batch.getFirst().failure.addSuppressed(e);
      }
      return;
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
      batch.forEach(task -> task.fail(e));
      return;
    }

    long done = System.nanoTime();
    event.work = worked - start;
    event.commit = done - worked;
    event.commit();
    if (done - start > SLOW_BATCH_NANOS) {
      log.info("slow group commit: {} writes took {} ms to run and {} ms to commit",
          batch.size(), (worked - start) / 1_000_000, (done - worked) / 1_000_000);
    }
  }

  /**
   * Swaps the deferred transaction the driver opened after the last commit for an immediate one,
   * which takes the write lock before any task reads. A task that reads first and then writes would
   * otherwise have to upgrade its lock, and SQLite never waits for an upgrade (no busy handler):
   * while the checkpointer's RESTART held the lock, such a batch failed at once with SQLITE_BUSY.
   * Taking the lock waits (busy_timeout) like any other.
   */
  private void takeWriteLock() throws SQLException {
    statements.get("ROLLBACK").execute(); // the empty deferred transaction: nothing to undo
    try {
      statements.get("BEGIN IMMEDIATE").execute();
    } catch (SQLException e) {
      statements.get("BEGIN").execute(); // the transaction the driver expects to be open
      throw e;
    }
  }

  private void complete() {
    try {
      for (List<Task<?>> batch = committed.take(); !batch.isEmpty(); batch = committed.take()) {
        // Actions chained on a future run here; what they throw goes to their own futures.
        batch.forEach(Task::complete);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(thread); // a writer sleeping out a hold runs what it holds now
    try {
      thread.join(10_000);
      completions.join(10_000);
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
    private final boolean guarded;
    /** Null for work that is never held. */
    private final Hold<T> hold;
    private final long holdUntil;
    private final long submittedAt = System.nanoTime();
    private final CompletableFuture<T> future = new CompletableFuture<>();
    private T result;
    private Throwable failure;

    Task(SqlWork<T> work, boolean guarded, Hold<T> hold, long holdUntil) {
      this.work = work;
      this.guarded = guarded;
      this.hold = hold;
      this.holdUntil = holdUntil;
    }

    /**
     * Runs the work under its own savepoint (prepared once, not one statement per task as
     * {@code Connection.setSavepoint} would), or without one when {@code statements} is null.
     */
    void runIn(Connection connection, StatementCache statements) {
      boolean saved = false;
      try {
        if (statements != null && guarded) {
          statements.get("SAVEPOINT task").execute();
          saved = true;
        }
        result = work.apply(connection);
        if (saved) {
          statements.get("RELEASE task").execute();
        }
      } catch (Exception | Error e) {
        failure = e;
        if (saved) {
          try {
            statements.get("ROLLBACK TO task").execute();
            statements.get("RELEASE task").execute();
          } catch (SQLException rollback) {
            e.addSuppressed(rollback);
          }
        }
      }
    }

    boolean writesNothing() {
      return hold != null && hold.writesNothing();
    }

    void skip() {
      result = hold.nothingWritten();
    }

    /** The commit failed: the work is undone whatever it returned. */
    void fail(Throwable commitFailure) {
      result = null;
      failure = commitFailure;
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
