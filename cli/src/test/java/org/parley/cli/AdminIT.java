package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UnlinkedEvent;

/**
 * {@code parley admin} against a real server process: stats, lookup, deletion (the deleted
 * account's device is told why), tombstone purge, and an online backup that restores to a server
 * that works, with what was queued at backup time.
 */
class AdminIT {
  static final String ALICE = "+15550001701";
  static final String BOB = "+15550001702";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  record Run(int code, String out, String err) {
    JsonNode json() throws Exception {
      return JSON.readTree(out);
    }
  }

  @Test
  void operatorCommandsEndToEndAndABackupRestoresToAWorkingServer() throws Exception {
    Path data = dir.resolve("data");
    Path backup = dir.resolve("parley-backup.db");
    try (ServerProcess server = ServerProcess.start(data)) {
      try (Device alice = register(server, "alice", ALICE)) {
        register(server, "bob", BOB).close();
        alice.sendText(BOB, "kept in the backup");
      }

      JsonNode stats = admin(data, "stats", "--json").json();
      assertThat(stats.get("accounts").asLong()).isEqualTo(2);
      assertThat(stats.get("queuedEnvelopes").asLong()).isEqualTo(1);
      assertThat(admin(data, "stats").out()).contains("devices: 2");

      JsonNode bob = admin(data, "account", BOB, "--json").json();
      assertThat(bob.get("phone").asText()).isEqualTo(BOB);
      assertThat(bob.get("devices").get(0).get("queued").asLong()).isEqualTo(1);
      assertThat(admin(data, "account", "+15550009999").err()).contains("no account +15550009999");

      Run made = admin(data, "backup", backup.toString());
      assertThat(made.code()).as(made.err()).isZero();
      assertThat(made.out()).contains("backup written to " + backup).contains("2 accounts");
      assertThat(admin(data, "backup", backup.toString()).err()).contains("exists");

      copy(dir.resolve("bob"), dir.resolve("bob-before-deletion"));
      assertThat(admin(data, "delete-account", BOB).code()).as("needs --yes").isEqualTo(2);
      JsonNode deleted = admin(data, "delete-account", BOB, "--yes", "--json").json();
      assertThat(deleted.get("devicesRemoved").asInt()).isEqualTo(1);
      assertThat(admin(data, "stats", "--json").json().get("accounts").asLong()).isEqualTo(1);
      try (Device bobsPhone = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
        List<ClientEvent> events = new ArrayList<>();
        bobsPhone.receive(Duration.ofSeconds(1), events::add);
        assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(UnlinkedEvent.class, u -> assertThat(u.reason()).isEqualTo("account-deleted")));
      }
      assertThat(admin(data, "purge-tombstones", "--older-than", "0ms", "--json").json().get("purged").asInt()).isEqualTo(1);

      assertThat(admin(data, "restore", backup.toString()).err()).contains("a server is running on");
      server.terminate();
      assertThat(admin(data, "stats").err()).contains("no running server");

      Run restored = admin(data, "restore", backup.toString());
      assertThat(restored.code()).as(restored.err()).isZero();
      assertThat(restored.out()).contains("the previous store is kept as");

      server.start();
      assertThat(admin(data, "stats", "--json").json().get("accounts").asLong()).isEqualTo(2);
      // Bob's phone as it was before the deletion: the restored store knows its device again and
      // still holds what was queued for it when the backup was taken.
      try (Device bobsPhone = Device.open(dir.resolve("bob-before-deletion"), ClientConfig.defaults())) {
        List<ClientEvent> events = new ArrayList<>();
        bobsPhone.receive(Duration.ofSeconds(2), events::add);
        assertThat(events).filteredOn(MessageEvent.class::isInstance).map(e -> ((MessageEvent) e).body())
            .containsExactly("kept in the backup");
        bobsPhone.sendText(ALICE, "the restored server works");
      }
    }
  }

  private static void copy(Path from, Path to) throws Exception {
    try (var files = Files.walk(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(from.relativize(file).toString()));
      }
    }
  }

  private Run admin(Path data, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("admin", "--data", data.toString()));
    all.addAll(List.of(args));
    int code =
        Main.run(
            new Main.Context(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                Clock.systemUTC(),
                Map.of()),
            all.toArray(String[]::new));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Device register(ServerProcess server, String name, String phone) {
    Device device = Device.open(dir.resolve(name), ClientConfig.defaults());
    device.requestCode(server.url(), phone, name);
    device.verify(server.codeFor(phone));
    return device;
  }
}
