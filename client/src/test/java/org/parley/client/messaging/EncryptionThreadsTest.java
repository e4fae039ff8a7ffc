package org.parley.client.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A device's encryption threads are few, made once and reused across sends, never drop a share, and
 * end with the device: a daemon sending all day does not start threads per send, and a closed
 * device leaves none behind.
 */
class EncryptionThreadsTest {
  /** Counts and keeps the threads it makes. */
  static final class Counted implements ThreadFactory {
    final List<Thread> made = new ArrayList<>();

    @Override
    public synchronized Thread newThread(Runnable work) {
      Thread thread = Thread.ofPlatform().daemon().unstarted(work);
      made.add(thread);
      return thread;
    }
  }

  @Test
  void manySendsShareAFewThreadsAndEveryShareRunsEvenWhenAllAreBusy() throws Exception {
    Counted factory = new Counted();
    AtomicInteger ran = new AtomicInteger();
    Set<Thread> runners = ConcurrentHashMap.newKeySet();
    try (EncryptionThreads threads = new EncryptionThreads(3, factory)) {
      assertThat(threads.width()).isEqualTo(3);
      for (int send = 0; send < 50; send++) {
        List<Future<?>> shares = new ArrayList<>();
        for (int share = 0; share < 2; share++) {
          shares.add(threads.submit(() -> {
            runners.add(Thread.currentThread());
            ran.incrementAndGet();
          }));
        }
        for (Future<?> share : shares) {
          share.get(10, TimeUnit.SECONDS);
        }
      }
      // Every helper busy and the queue full: the next share runs on the sender's own thread.
      CountDownLatch started = new CountDownLatch(2);
      CountDownLatch release = new CountDownLatch(1);
      List<Future<?>> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        held.add(threads.submit(() -> {
          started.countDown();
          waitFor(release);
        }));
      }
      waitFor(started);
      for (int i = 0; i < 2; i++) {
        held.add(threads.submit(() -> {}));
      }
      List<Thread> ranOn = new ArrayList<>();
      threads.submit(() -> ranOn.add(Thread.currentThread())).get(10, TimeUnit.SECONDS);
      assertThat(ranOn).containsExactly(Thread.currentThread());
      release.countDown();
      for (Future<?> share : held) {
        share.get(10, TimeUnit.SECONDS);
      }
    }
    assertThat(ran).hasValue(100);
    assertThat(factory.made).hasSizeLessThanOrEqualTo(2);
    assertThat(runners).isSubsetOf(factory.made);
    // The pool has ended when close returns; its last thread may take a moment more to be gone.
    await().atMost(10, TimeUnit.SECONDS).until(() -> factory.made.stream().noneMatch(Thread::isAlive));
  }

  @Test
  void aShareHandedOverAfterCloseStillRunsOnTheSendersThread() throws Exception {
    Counted factory = new Counted();
    EncryptionThreads threads = new EncryptionThreads(2, factory);
    threads.submit(() -> {}).get(10, TimeUnit.SECONDS);
    threads.close();
    assertThat(factory.made).hasSize(1);
    await().atMost(10, TimeUnit.SECONDS).until(() -> !factory.made.getFirst().isAlive());
    List<Thread> ranOn = new ArrayList<>();
    threads.submit(() -> ranOn.add(Thread.currentThread())).get(10, TimeUnit.SECONDS);
    assertThat(ranOn).containsExactly(Thread.currentThread());
  }

  @Test
  void oneCoreMeansNoThreadsAtAll() throws Exception {
    Counted factory = new Counted();
    try (EncryptionThreads threads = new EncryptionThreads(1, factory)) {
      assertThat(threads.width()).isEqualTo(1);
      threads.submit(() -> {}).get(10, TimeUnit.SECONDS);
    }
    assertThat(factory.made).isEmpty();
  }

  private static void waitFor(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
