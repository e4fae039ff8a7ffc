package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;

/**
 * "Stored" means committed: a message the server acknowledged survives the server being killed
 * hard, and reaches its offline recipient exactly once after the restart.
 */
class ServerCrashIT {
  static final String ALICE = "+15550000401";
  static final String BOB = "+15550000402";

  @TempDir Path dir;

  @Test
  void aStoredMessageSurvivesAKilledServerAndArrivesExactlyOnce() throws Exception {
    try (ServerProcess server = ServerProcess.start(dir.resolve("data"))) {
      try (Device alice = register(server, "alice", ALICE)) {
        register(server, "bob", BOB).close();
        alice.sendText(BOB, "written before the crash");
      }

      server.killHard();
      server.start();

      try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        assertThat(messages(bob)).extracting(MessageEvent::body).containsExactly("written before the crash");
        assertThat(messages(bob)).isEmpty();
        assertThat(bob.history(ALICE, null, 10)).hasSize(1);
      }
    }
  }

  private Device register(ServerProcess server, String name, String phone) {
    Device device = Device.open(dir.resolve(name), ClientConfig.defaults());
    device.requestCode(server.url(), phone, name);
    device.verify(server.codeFor(phone));
    return device;
  }

  private static List<MessageEvent> messages(Device device) {
    List<ClientEvent> events = new CopyOnWriteArrayList<>();
    device.receive(Duration.ofMillis(1500), events::add);
    return events.stream().filter(MessageEvent.class::isInstance).map(MessageEvent.class::cast).toList();
  }
}
