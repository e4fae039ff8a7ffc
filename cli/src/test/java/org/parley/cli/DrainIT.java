package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.WarningEvent;

/**
 * SIGTERM is a restart, not a loss: a server told to stop while a device sends and another
 * receives finishes every commit it accepted, tells the receiving device to reconnect, and after
 * the restart every message whose send succeeded arrives exactly once. A send the draining (or
 * stopped) server no longer takes is kept in the sender's outbox as {@code pending}, not lost: it
 * arrives, once and in order, when the sender is connected again.
 */
class DrainIT {
  static final String ALICE = "+15550001601";
  static final String BOB = "+15550001602";

  @TempDir Path dir;

  @Test
  void sigtermUnderLoadLosesNothingAndTellsDevicesToReconnect() throws Exception {
    try (ServerProcess server = ServerProcess.start(dir.resolve("data"), "--drain-timeout", "20s")) {
      Device alice = register(server, "alice", ALICE);
      register(server, "bob", BOB).close();

      List<String> sent = new CopyOnWriteArrayList<>();
      List<String> kept = new CopyOnWriteArrayList<>();
      List<String> refused = new CopyOnWriteArrayList<>();
      AtomicBoolean sending = new AtomicBoolean(true);
      Thread sender =
          Thread.ofPlatform().start(() -> {
            for (int i = 0; sending.get() && i < 10_000; i++) {
              String body = "message " + i;
              try {
                (alice.sendText(BOB, body).pending() ? kept : sent).add(body);
              } catch (RuntimeException e) {
                refused.add(e.getMessage());
                if (refused.size() > 3) {
                  return; // the server is gone
                }
              }
            }
          });

      List<ClientEvent> beforeStop = new CopyOnWriteArrayList<>();
      Thread receiver;
      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        receiver = Thread.ofPlatform().start(() -> bob.receive(Duration.ofSeconds(2), beforeStop::add));
        await().atMost(Duration.ofSeconds(60)).until(() -> sent.size() >= 10 && messages(beforeStop).size() >= 3);

        int exit = server.terminate();
        assertThat(exit).as("exit after SIGTERM").isIn(0, 143);
        sending.set(false);
        sender.join();
        receiver.join();
      }
      // Whatever the sender did while the server drained, a send to a stopped server is kept.
      assertThat(alice.sendText(BOB, "sent while stopped").pending())
          .as("a send to a stopped server is pending").isTrue();
      kept.add("sent while stopped");
      assertThat(alice.waitingToSend()).as("what was kept waits in the outbox").isEqualTo(kept.size());
      alice.close();
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(server.output()).contains("stopped"));
      assertThat(beforeStop)
          .as("bob was told the server is going away")
          .anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(WarningEvent.class, w -> assertThat(w.code()).isEqualTo("server-restarting")));
      assertThat(refused).as("sends after the drain began fail cleanly").allSatisfy(m -> assertThat(m).isNotBlank());

      server.start();
      // The sender comes back: connecting sends what its outbox kept, oldest first.
      try (Device aliceAgain = Device.open(dir.resolve("alice"), ClientConfig.defaults())) {
        aliceAgain.receive(Duration.ofMillis(500), e -> {});
        assertThat(aliceAgain.waitingToSend()).as("the outbox is empty once the sender is back").isZero();
        List<MessageEvent> own = aliceAgain.history(BOB, null, 100_000);
        for (String body : kept) {
          assertThat(own).as("kept message '%s' is marked sent once", body)
              .filteredOn(m -> m.body().equals(body)).singleElement()
              .satisfies(m -> assertThat(m.status()).isEqualTo("sent"));
        }
      }
      List<ClientEvent> afterRestart = new ArrayList<>();
      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        bob.receive(Duration.ofSeconds(1), afterRestart::add);
        List<String> received = new ArrayList<>(bodies(beforeStop));
        received.addAll(bodies(afterRestart));
        Map<String, Integer> times = new HashMap<>();
        received.forEach(b -> times.merge(b, 1, Integer::sum));
        assertThat(times.keySet()).as("every message whose send succeeded arrived").containsAll(sent);
        assertThat(times.keySet()).as("every message kept while the server was away arrived").containsAll(kept);
        assertThat(times).as("and only once").allSatisfy((body, count) -> assertThat(count).isEqualTo(1));
        assertThat(received).as("the kept messages arrived in the order they were written")
            .filteredOn(kept::contains).containsExactlyElementsOf(kept);
        List<MessageEvent> history = bob.history(ALICE, null, 100_000);
        for (String body : sent) {
          assertThat(history).filteredOn(m -> m.body().equals(body)).hasSize(1);
        }
        for (String body : kept) {
          assertThat(history).filteredOn(m -> m.body().equals(body)).hasSize(1);
        }
      }
    }
  }

  private Device register(ServerProcess server, String name, String phone) {
    Device device = Device.open(dir.resolve(name), ClientConfig.defaults());
    device.requestCode(server.url(), phone, name);
    device.verify(server.codeFor(phone));
    return device;
  }

  private static List<MessageEvent> messages(List<ClientEvent> events) {
    return events.stream().filter(MessageEvent.class::isInstance).map(MessageEvent.class::cast).toList();
  }

  private static List<String> bodies(List<ClientEvent> events) {
    return messages(events).stream().map(MessageEvent::body).toList();
  }
}
