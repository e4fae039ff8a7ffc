package org.parley.server.transport;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one connection's requests one after another, in arrival order, on a shared executor. Order
 * matters: two sends from one device must reach the store in the order they were made. It can be
 * paused (the client is not reading its answers): no new request starts until it is resumed.
 */
final class SerialExecutor implements Executor {
  private final Executor delegate;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean parked = new AtomicBoolean();
  private volatile boolean paused;

  SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  int pending() {
    return pending.get();
  }

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    if (pending.getAndIncrement() == 0) {
      delegate.execute(this::drain);
    }
  }

  /** No request starts after the one running now, until {@link #resume}. */
  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
    if (parked.compareAndSet(true, false)) {
      delegate.execute(this::drain);
    }
  }

  private void drain() {
    while (true) {
      if (paused) {
        parked.set(true);
        // A resume between the check and the flag would find nothing parked: look again.
        if (paused || !parked.compareAndSet(true, false)) {
          return;
        }
      }
      Runnable task = tasks.poll();
      try {
        task.run();
      } catch (RuntimeException e) {
        // a task reports its own failures; this keeps the queue moving regardless
      }
      if (pending.decrementAndGet() == 0) {
        return;
      }
    }
  }
}
