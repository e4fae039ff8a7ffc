package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientException;
import org.parley.client.Device;
import org.parley.client.events.MessageEvent;

/**
 * Two relay nodes whose Redis and then whose PostgreSQL go down under load (private instances: the
 * machine's shared ones stay up). Redis only wakes nodes, so losing it loses nothing: every node
 * reads its devices' queues again when it is back. PostgreSQL holds the truth: while it is down a
 * send is kept pending by its sender and goes once it is back, and nothing it had committed is lost.
 */
class ClusterOutageIT {
  private static final String SENDER = "+15550151001";
  private static final String RECEIVER = "+15550151002";

  @TempDir Path dir;

  @Test
  void redisAndThenPostgresRestartedUnderLoadLoseNothing() throws Exception {
    try (PrivateServices.Postgres postgres = new PrivateServices.Postgres();
        PrivateServices.Redis redis = new PrivateServices.Redis();
        ClusterNodes cluster = new ClusterNodes(dir, postgres.storeUrl(), redis.url(), 2);
        Device receiver = cluster.register("receiver", RECEIVER, cluster.urls(0, 1));
        Device sender = cluster.register("sender", SENDER, cluster.urls(1, 0))) {
      Set<String> acked = ConcurrentHashMap.newKeySet();
      AtomicBoolean receiving = new AtomicBoolean(true);
      Thread receiveLoop = Thread.ofPlatform().start(() -> {
        while (receiving.get()) {
          try {
            receiver.receive(Duration.ofMillis(300), event -> {});
          } catch (ClientException e) {
            pause();
          }
        }
      });
      // A message crosses nodes only by a Redis wake-up: the sender is on node 1, the receiver on node 0.
      send(sender, "before", 5, acked);
      await().atMost(Duration.ofSeconds(20)).until(() -> logged(receiver).containsAll(acked));

      redis.kill();
      send(sender, "redis-down", 5, acked);
      // Nothing is sent after Redis is back: only the nodes' reading of their queues on reconnection delivers these.
      redis.start();
      await().atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(logged(receiver)).as("what was sent while Redis was away").containsAll(acked));

      postgres.crash();
      // A send while the database is down is kept by the sender (the server may have handed it to a
      // connected device before its commit failed), shown pending, and sent under its id once it is back.
      Device.SendResult kept = sender.sendText(RECEIVER, "while the database is down");
      assertThat(kept.pending()).as("a send while the database is down is kept pending").isTrue();
      acked.add("while the database is down");
      postgres.start();
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
        sender.flushOutbox();
        return sender.waitingToSend() == 0;
      });
      sender.sendText(RECEIVER, "database-back");
      acked.add("database-back");
      send(sender, "after", 3, acked);
      await().atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(logged(receiver)).as("everything stored arrives").containsAll(acked));
      receiving.set(false);
      receiveLoop.join();

      List<String> logged = logged(receiver);
      assertThat(logged).as("each message taken in once").doesNotHaveDuplicates();
      assertThat(receiver.history(SENDER, null, 10_000))
          .extracting(MessageEvent::body)
          .doesNotHaveDuplicates()
          .containsAll(acked);
    }
  }

  private static void send(Device sender, String prefix, int count, Set<String> acked) {
    for (int i = 0; i < count; i++) {
      String body = prefix + "-" + i;
      sender.sendText(RECEIVER, body);
      acked.add(body);
    }
  }

  private static List<String> logged(Device device) {
    return device.events().after(0, 1_000_000).stream()
        .map(logged -> logged.event())
        .filter(event -> event instanceof MessageEvent message && !message.outgoing())
        .map(event -> ((MessageEvent) event).body())
        .toList();
  }

  private static void pause() {
    try {
      Thread.sleep(100); // reconnect backoff, as a daemon would
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
