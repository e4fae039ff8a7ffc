package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.server.transport.Transport;

/**
 * {@code parley server --transport}: the real server relays a message over io_uring, and where the
 * kernel or the native libraries offer neither io_uring nor epoll (Netty's own switch turns them off
 * in the child process, as a kernel without them would), {@code auto} says so and runs on NIO,
 * while a transport asked for by name stops the server with the reason.
 */
class TransportIT {
  static final String ALICE = "+15550000801";
  static final String BOB = "+15550000802";

  @TempDir Path dir;

  @Test
  void theServerRelaysAMessageOverIoUring() throws Exception {
    assumeTrue(Transport.IO_URING.available(), "io_uring is not available on this machine");
    try (ServerProcess server = ServerProcess.start(dir.resolve("data"), "--transport", "io_uring")) {
      // The proof it is io_uring and not a silent fallback: the process holds a ring.
      assertThat(ioUringRings(server.pid())).as("io_uring instances of the server process").isPositive();
      try (Device alice = register(server, "alice", ALICE);
          Device bob = register(server, "bob", BOB)) {
        alice.sendText(BOB, "over the ring");
        List<ClientEvent> events = new CopyOnWriteArrayList<>();
        bob.receive(Duration.ofMillis(1500), events::add);
        assertThat(events).filteredOn(MessageEvent.class::isInstance)
            .extracting(e -> ((MessageEvent) e).body())
            .containsExactly("over the ring");
      }
    }
  }

  @Test
  void autoFallsBackToNioWithAWarningWhereNoNativeTransportLoads() throws Exception {
    List<String> output = new CopyOnWriteArrayList<>();
    Process server = startWithoutNativeTransports(List.of("--transport", "auto"), output);
    try {
      await().atMost(Duration.ofSeconds(150))
          .until(() -> !server.isAlive() || output.stream().anyMatch(l -> l.startsWith("listening on ")));
      assertThat(server.isAlive()).as("still running: %s", output).isTrue();
      assertThat(output).anySatisfy(line -> assertThat(line)
          .contains("WARN")
          .contains("transport auto: io_uring unavailable (")
          .contains("epoll unavailable (")
          .endsWith("running on nio"));
      assertThat(ioUringRings(server.pid())).isZero();
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void theDefaultFallsBackFromEpollToNioWithAWarning() throws Exception {
    List<String> output = new CopyOnWriteArrayList<>();
    Process server = startWithoutNativeTransports(List.of(), output);
    try {
      await().atMost(Duration.ofSeconds(150))
          .until(() -> !server.isAlive() || output.stream().anyMatch(l -> l.startsWith("listening on ")));
      assertThat(server.isAlive()).as("still running: %s", output).isTrue();
      assertThat(output).anySatisfy(line -> assertThat(line)
          .contains("transport default: epoll unavailable (")
          .doesNotContain("io_uring")
          .endsWith("running on nio"));
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aNamedTransportTheMachineLacksStopsTheServerWithTheReason() throws Exception {
    List<String> output = new CopyOnWriteArrayList<>();
    Process server = startWithoutNativeTransports(List.of("--transport", "io_uring"), output);
    assertThat(server.waitFor(120, TimeUnit.SECONDS)).as("the server exits").isTrue();
    assertThat(server.exitValue()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(10)).until(() -> String.join("\n", output).contains("not available"));
    assertThat(String.join("\n", output))
        .contains("transport io_uring is not available on this machine (")
        .contains("choose auto to fall back, or epoll or nio")
        .doesNotContain("listening on");
  }

  @Test
  void anUnknownTransportIsRefusedNamingTheChoices() {
    Cli.Run run = new Cli(dir).parley("operator", "server", "--data", dir.resolve("data").toString(), "--port", "0",
        "--transport", "kqueue");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("unknown transport 'kqueue': choose auto, io_uring, epoll or nio");
  }

  /** {@code parley server} in a JVM where Netty loads no native transport. */
  private Process startWithoutNativeTransports(List<String> args, List<String> output) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dio.netty.transport.noNative=true",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "server", "--data", dir.resolve("data").toString(), "--port", "0"));
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    Thread.ofPlatform().daemon().start(() -> process.inputReader(StandardCharsets.UTF_8).lines().forEach(output::add));
    return process;
  }

  /** How many io_uring instances the process has open (each is an anon inode named [io_uring]). */
  private static long ioUringRings(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().equals("anon_inode:[io_uring]");
        } catch (IOException gone) {
          return false;
        }
      }).count();
    }
  }

  private Device register(ServerProcess server, String name, String phone) {
    Device device = Device.open(dir.resolve(name), ClientConfig.defaults());
    device.requestCode(server.url(), phone, name);
    device.verify(server.codeFor(phone));
    return device;
  }
}
