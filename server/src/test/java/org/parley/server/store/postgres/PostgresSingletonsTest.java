package org.parley.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.parley.server.testing.TestPostgres;

/** Two nodes scheduling the same housekeeping: while one runs it, the other skips its round. */
class PostgresSingletonsTest {
  @Test
  void whileOneNodeRunsATaskAnotherSkipsItAndThenMayRunIt() throws Exception {
    TestPostgres.Schema schema = TestPostgres.createSchema("singletons");
    String task = "reaper-" + UUID.randomUUID();
    AtomicInteger runsOnB = new AtomicInteger();
    try (PostgresSingletons a = new PostgresSingletons(StoreUrl.parse(schema.storeUrl()));
        PostgresSingletons b = new PostgresSingletons(StoreUrl.parse(schema.storeUrl()))) {
      CountDownLatch inside = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Thread nodeA = Thread.ofPlatform().start(() -> a.runAlone(task, () -> {
        inside.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
      assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();

      assertThat(b.runAlone(task, runsOnB::incrementAndGet)).as("skipped while A runs it").isFalse();
      assertThat(b.runAlone("another-" + task, runsOnB::incrementAndGet)).as("another task is free").isTrue();

      release.countDown();
      nodeA.join();
      assertThat(b.runAlone(task, runsOnB::incrementAndGet)).as("free once A is done").isTrue();
      assertThat(runsOnB).hasValue(2);
    } finally {
      schema.drop();
    }
  }
}
