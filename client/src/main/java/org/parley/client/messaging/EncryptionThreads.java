package org.parley.client.messaging;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads a device lends to the session set-ups of its large sends ({@link PairwiseEncryption}):
 * a few at most, made when a send first needs them and gone after a while without work, so an idle
 * daemon holding many profiles keeps none; closed with the device. A send that finds them all busy
 * (another profile's send, a close under way) runs its share on its own thread: nothing waits in an
 * unbounded queue and nothing is dropped.
 */
public final class EncryptionThreads implements AutoCloseable {
  /** Threads on one send at most, the sending thread included, whatever the machine. */
  static final int MAX_WIDTH = 4;
  /** How long a thread without work stays: a group handover's batches follow each other closely. */
  private static final long IDLE_SECONDS = 30;

  private final int width;
  private final ThreadPoolExecutor pool;

  /** As many as the machine has cores, at most {@link #MAX_WIDTH}. */
  public EncryptionThreads() {
    this(Math.min(MAX_WIDTH, Runtime.getRuntime().availableProcessors()),
        Thread.ofPlatform().daemon().name("parley-encrypt-", 1).factory());
  }

  /** {@code width} threads on one send, the sending thread one of them; the others from {@code threads}. */
  EncryptionThreads(int width, ThreadFactory threads) {
    this.width = Math.max(1, width);
    int helpers = this.width - 1;
    if (helpers == 0) {
      this.pool = null;
      return;
    }
    this.pool =
        new ThreadPoolExecutor(
            helpers, helpers, IDLE_SECONDS, TimeUnit.SECONDS, new ArrayBlockingQueue<>(helpers), threads,
            // Busy or closed: the sender does the share itself (a discarded one would never complete).
            (share, executor) -> share.run());
    pool.allowCoreThreadTimeOut(true);
  }

  /** How many threads one send may use, its own included. */
  int width() {
    return width;
  }

  /** Runs {@code work} on one of these threads, or on this one when none is free. */
  Future<?> submit(Runnable work) {
    if (pool == null) {
      FutureTask<Void> here = new FutureTask<>(work, null);
      here.run();
      return here;
    }
    return pool.submit(work);
  }

  /** Waits for the shares under way (their sends are writing their sessions back), then ends the threads. */
  @Override
  public void close() {
    if (pool != null) {
      pool.close();
    }
  }
}
