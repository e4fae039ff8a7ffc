package org.parley.cli;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** {@code parley daemon --http 0} as its own process, so a test can kill it the hard way (SIGKILL). */
final class DaemonProcess implements AutoCloseable {
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final Process process;

  private DaemonProcess(Process process) {
    this.process = process;
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          output.add(line);
        }
      } catch (IOException e) {
        // killed
      }
    });
  }

  static DaemonProcess start(Path profile, String... extraArgs) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add("--profile");
    command.add(profile.toString());
    command.add("daemon");
    command.add("--http");
    command.add("0");
    command.addAll(List.of(extraArgs));
    DaemonProcess daemon = new DaemonProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    await().atMost(Duration.ofSeconds(90))
        .until(() -> daemon.output.stream().anyMatch(l -> l.startsWith("listening on http://")) || !daemon.process.isAlive());
    if (!daemon.process.isAlive()) {
      throw new IOException("the daemon did not start: " + daemon.output);
    }
    return daemon;
  }

  InetSocketAddress http() {
    String line = output.stream().filter(l -> l.startsWith("listening on http://")).findFirst().orElseThrow();
    String hostPort = line.substring("listening on http://".length()).strip();
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  List<String> output() {
    return List.copyOf(output);
  }

  /** SIGKILL: no shutdown hook, nothing flushed or closed. */
  void killHard() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      process.waitFor();
    }
  }
}
