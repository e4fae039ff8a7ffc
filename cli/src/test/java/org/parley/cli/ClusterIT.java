package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientException;
import org.parley.client.Device;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UnlinkedEvent;
import org.parley.protocol.wire.DeviceKind;
import org.parley.server.testing.TestPostgres;

/**
 * Three relay nodes on one PostgreSQL and one Redis (docs/operating.md, clustered), as separate processes: devices
 * on different nodes talk 1:1 and in groups, and a node killed with SIGKILL under steady load loses
 * nothing: its devices are back on another node within seconds, and every message a sender was told
 * "sent" is in its recipient's history exactly once. The same holds for a node drained by SIGTERM.
 * A companion links through another node than its primary's, by QR code or by a link code typed on
 * the primary (the codes and their tries are shared in Redis).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final String REDIS = System.getenv().getOrDefault("PARLEY_TEST_REDIS", "redis://127.0.0.1:6379");

  private Path dir;
  private String database;
  private ClusterNodes cluster;

  @BeforeAll
  void startCluster(@TempDir Path dir) throws Exception {
    this.dir = dir;
    database = TestPostgres.createDatabase("cluster_it");
    cluster = new ClusterNodes(dir, TestPostgres.storeUrl(database), REDIS, 3);
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
    if (database != null) {
      TestPostgres.dropDatabase(database);
    }
  }

  @Test
  @Order(1)
  void devicesOnDifferentNodesTalkOneToOneAndInGroups() {
    try (Device alice = cluster.register("alice", "+15550150001", cluster.urls(0));
        Device bob = cluster.register("bob", "+15550150002", cluster.urls(1));
        Device carol = cluster.register("carol", "+15550150003", cluster.urls(2))) {
      alice.sendText("+15550150002", "hello bob, from node 0");
      assertThat(bodies(bob)).containsExactly("hello bob, from node 0");

      var group = alice.groups().create("three nodes", List.of("+15550150002", "+15550150003"));
      bodies(bob);
      bodies(carol);
      alice.groups().sendText(group.id(), "hello group");
      assertThat(bodies(bob)).containsExactly("hello group");
      assertThat(bodies(carol)).containsExactly("hello group");

      carol.groups().sendText(group.id(), "carol answers from node 2");
      assertThat(bodies(alice)).contains("carol answers from node 2");
      assertThat(bodies(bob)).containsExactly("carol answers from node 2");
    }
  }

  /**
   * The primary on node 0, the new companion's QR code on node 1: the provisioning message and the
   * link token cross over the bus. Unlinking it from node 0 tells it at once on node 1.
   */
  @Test
  @Order(2)
  void aCompanionLinksOnAnotherNodeThanItsPrimaryAndHearsItsUnlinkThere() throws Exception {
    try (Device alice = cluster.register("dana", "+15550150004", cluster.urls(0));
        Device bob = cluster.register("erin", "+15550150005", cluster.urls(2));
        Device laptop = Device.open(dir.resolve("dana-laptop"), org.parley.client.ClientConfig.defaults())) {
      CompletableFuture<String> shown = new CompletableFuture<>();
      CompletableFuture<Void> linking = CompletableFuture.runAsync(
          () -> laptop.link(cluster.urls(1), "laptop", DeviceKind.DESKTOP, invitation -> shown.complete(invitation.uri())),
          task -> Thread.ofPlatform().daemon().start(task));
      alice.addDevice(shown.get(30, TimeUnit.SECONDS), 1);
      linking.get(30, TimeUnit.SECONDS);
      assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1, 2);

      bob.sendText("+15550150004", "to both of dana's devices");
      assertThat(bodies(laptop)).contains("to both of dana's devices");
      assertThat(bodies(alice)).contains("to both of dana's devices");
      laptop.sendText("+15550150005", "from the laptop on node 1");
      assertThat(bodies(bob)).containsExactly("from the laptop on node 1");

      // The laptop's connection (kept open after receiving) is on node 1; the unlink happens on node 0.
      List<Object> told = new CopyOnWriteArrayList<>();
      laptop.onEvent(told::add);
      alice.unlink(2);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(told).filteredOn(UnlinkedEvent.class::isInstance).singleElement()
              .satisfies(e -> assertThat(((UnlinkedEvent) e).reason()).isEqualTo("removed-by-primary")));
    }
  }

  /**
   * Link codes live in the cluster's Redis: the code the new laptop shows on node 1 is typed on a
   * primary connected to node 0, and links.
   */
  @Test
  @Order(3)
  void aCodeShownOnOneNodeLinksAPrimaryOnAnother() throws Exception {
    try (Device primary = cluster.register("fay", "+15550150006", cluster.urls(0));
        Device laptop = Device.open(dir.resolve("fay-laptop"), org.parley.client.ClientConfig.defaults())) {
      Shown shown = showCode(laptop, cluster.urls(1));
      assertThat(primary.addDeviceByCode(shown.code(), 365).deviceId()).isEqualTo(2);
      assertThat(shown.linked().get(30, TimeUnit.SECONDS).deviceId()).isEqualTo(2);
      assertThat(primary.devices()).extracting(Device.DeviceView::id).containsExactly(1, 2);
    }
  }

  /**
   * The three tries a code has are counted in Redis, once, whichever node each comes through: three
   * wrong ones through nodes 0, 1 and 2 (from three accounts), and the right one after them is refused.
   */
  @Test
  @Order(4)
  void aCodesThreeTriesAreCountedAcrossNodes() throws Exception {
    try (Device tablet = Device.open(dir.resolve("gus-tablet"), org.parley.client.ClientConfig.defaults())) {
      Shown shown = showCode(tablet, cluster.urls(2));
      for (int node = 0; node < 3; node++) {
        int left = 2 - node;
        try (Device guesser = cluster.register("guess" + node, "+1555015002" + node, cluster.urls(node))) {
          org.assertj.core.api.Assertions.assertThatThrownBy(() -> guesser.addDeviceByCode(wrong(shown.code()), 365))
              .isInstanceOf(ClientException.class)
              .hasMessageContaining("the code is wrong (" + left);
        }
      }
      try (Device owner = cluster.register("gus", "+15550150030", cluster.urls(1))) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> owner.addDeviceByCode(shown.code(), 365))
            .isInstanceOf(ClientException.class)
            .hasMessageContaining("run 'parley link --code' on the new device");
        assertThat(owner.devices()).extracting(Device.DeviceView::id).containsExactly(1);
      }
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> shown.linked().get(30, TimeUnit.SECONDS))
          .hasCauseInstanceOf(ClientException.class)
          .hasMessageContaining("typed wrong 3 times");
    }
  }

  /** A new device showing its link code, linking in the background. */
  private record Shown(String code, CompletableFuture<org.parley.client.linking.CompanionLinker.Result> linked) {}

  private static Shown showCode(Device companion, String urls) throws Exception {
    CompletableFuture<String> code = new CompletableFuture<>();
    CompletableFuture<org.parley.client.linking.CompanionLinker.Result> linked =
        CompletableFuture.supplyAsync(
            () -> companion.linkByCode(urls, "new device", DeviceKind.DESKTOP, i -> code.complete(i.code())),
            task -> Thread.ofPlatform().daemon().start(task));
    linked.whenComplete((r, e) -> {
      if (e != null) {
        code.completeExceptionally(e);
      }
    });
    return new Shown(code.get(30, TimeUnit.SECONDS), linked);
  }

  /** Another code with the same first half (the slot) and a different second half. */
  private static String wrong(String code) {
    char[] chars = code.toCharArray();
    String alphabet = org.parley.protocol.LinkCodeCipher.ALPHABET;
    chars[8] = alphabet.charAt((alphabet.indexOf(chars[8]) + 1) % 32);
    return new String(chars);
  }

  @Test
  @Order(5)
  void aNodeKilledUnderLoadLosesNothingAndItsDevicesMoveOn() throws Exception {
    lose(0, "1", () -> cluster.node(0).killHard());
  }

  /** c2's graceful drain (SIGTERM) across nodes: the node's devices are told to go, and nothing is lost. */
  @Test
  @Order(6)
  void aNodeDrainedUnderLoadLosesNothingAndItsDevicesMoveOn() throws Exception {
    lose(1, "2", () -> cluster.node(1).terminate());
  }

  private interface Loss {
    void happen() throws Exception;
  }

  /**
   * Two senders keep sending to three receivers (each on another node first) while {@code node}
   * is lost; {@code block} keeps each run's phone numbers apart.
   */
  private void lose(int node, String block, Loss loss) throws Exception {
    List<Device> receivers = new ArrayList<>();
    List<String> receiverPhones = List.of("+155501" + block + "0011", "+155501" + block + "0012", "+155501" + block + "0013");
    for (int i = 0; i < 3; i++) {
      receivers.add(cluster.register("r" + block + i, receiverPhones.get(i), cluster.urls(i, (i + 1) % 3, (i + 2) % 3)));
    }
    String senderA = "+155501" + block + "0021";
    String senderB = "+155501" + block + "0022";
    List<Device> senders =
        List.of(
            cluster.register("s" + block + "a", senderA, cluster.urls(1, 2, 0)),
            cluster.register("s" + block + "b", senderB, cluster.urls(2, 1, 0)));
    Map<String, Set<String>> acked = new ConcurrentHashMap<>();
    Map<String, List<String>> received = new ConcurrentHashMap<>();
    receiverPhones.forEach(p -> {
      acked.put(p, ConcurrentHashMap.newKeySet());
      received.put(p, new CopyOnWriteArrayList<>());
    });
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    for (Device receiver : receivers) {
      threads.add(Thread.ofPlatform().start(() -> receiveLoop(receiver, running)));
    }
    // What each receiver has taken in: its event log, written in the same transaction as the message.
    Runnable readLogs = () -> {
      for (int i = 0; i < 3; i++) {
        received.put(receiverPhones.get(i), logged(receivers.get(i)));
      }
    };
    long[] killedAt = {Long.MAX_VALUE};
    Map<String, Long> ackedAt = new ConcurrentHashMap<>();
    // Sends no node took (every URL unreachable for a moment) are kept in the sender's outbox as pending.
    Map<String, String> kept = new ConcurrentHashMap<>();
    AtomicBoolean sending = new AtomicBoolean(true);
    List<Thread> senderThreads = new ArrayList<>();
    for (int s = 0; s < senders.size(); s++) {
      Device sender = senders.get(s);
      String name = "s" + s;
      senderThreads.add(Thread.ofPlatform().start(() -> {
        for (int n = 0; sending.get(); n++) {
          String to = receiverPhones.get(n % 3);
          String body = name + "-" + n;
          try {
            if (sender.sendText(to, body).pending()) {
              kept.put(body, to);
              continue;
            }
            acked.get(to).add(body);
            ackedAt.put(body, System.nanoTime());
          } catch (ClientException e) {
            // not "sent": may or may not have been stored; it must not show up twice either way
          }
        }
      }));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      readLogs.run();
      return received.values().stream().allMatch(r -> r.size() >= 3);
    });

    loss.happen();
    killedAt[0] = System.nanoTime();

    // Every receiver gets a message that was sent after the loss within 5 s: the one on that node moved.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      readLogs.run();
      for (String phone : receiverPhones) {
        assertThat(received.get(phone))
            .as("%s receives again after the kill", phone)
            .anyMatch(body -> ackedAt.getOrDefault(body, 0L) > killedAt[0]);
      }
    });
    sending.set(false);
    for (Thread thread : senderThreads) {
      thread.join();
    }
    // What was kept goes out on the next connection; it must arrive like the rest.
    for (Device sender : senders) {
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        sender.flushOutbox();
        return sender.waitingToSend() == 0;
      });
    }
    // A kept message the cluster refused for good is marked failed and reported, not lost; the rest must arrive.
    for (Device sender : senders) {
      for (String phone : receiverPhones) {
        sender.history(phone, null, 100_000).stream()
            .filter(m -> kept.containsKey(m.body()) && m.status().equals("sent"))
            .forEach(m -> acked.get(phone).add(m.body()));
      }
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      readLogs.run();
      for (String phone : receiverPhones) {
        assertThat(received.get(phone))
            .as("everything sent to %s arrived (kept in an outbox at first: %s)", phone, kept.keySet())
            .containsAll(acked.get(phone));
      }
    });
    running.set(false);
    for (Thread thread : threads) {
      thread.join();
    }

    readLogs.run();
    for (int i = 0; i < 3; i++) {
      String phone = receiverPhones.get(i);
      assertThat(received.get(phone)).as("nothing taken in twice by %s", phone).doesNotHaveDuplicates();
      List<String> history = new ArrayList<>();
      for (String sender : List.of(senderA, senderB)) {
        receivers.get(i).history(sender, null, 100_000).stream().map(MessageEvent::body).forEach(history::add);
      }
      assertThat(history).as("%s's history", phone).doesNotHaveDuplicates().containsAll(acked.get(phone));
    }
    senders.forEach(Device::close);
    receivers.forEach(Device::close);
  }

  /** Receives until told to stop, reconnecting (to the next node that answers) whenever the connection is lost. */
  private static void receiveLoop(Device device, AtomicBoolean running) {
    while (running.get()) {
      try {
        device.receive(Duration.ofMillis(300), event -> {});
      } catch (ClientException e) {
        pause();
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100); // reconnect backoff, as a daemon would
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static List<String> logged(Device device) {
    return device.events().after(0, 1_000_000).stream()
        .map(logged -> logged.event())
        .filter(event -> event instanceof MessageEvent message && !message.outgoing())
        .map(event -> ((MessageEvent) event).body())
        .toList();
  }

  private static List<String> bodies(Device device) {
    List<String> out = new ArrayList<>();
    device.receive(Duration.ofMillis(800), event -> {
      if (event instanceof MessageEvent message && !message.outgoing()) {
        out.add(message.body());
      }
    });
    return out;
  }
}
