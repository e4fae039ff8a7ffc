package org.parley.cli;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.parley.server.testing.TestPorts;

/**
 * {@code parley server} as its own operating-system process, so a test can kill it the hard way
 * (SIGKILL, no shutdown hook) and start it again on the same data directory and port.
 */
final class ServerProcess implements AutoCloseable {
  private static final Pattern CODE = Pattern.compile("verification code for (\\+\\d+): (\\d{6})");

  private final Path data;
  private final int port;
  private final List<String> extraArgs;
  private final Map<String, String> codes = new ConcurrentHashMap<>();
  private final List<String> output = new CopyOnWriteArrayList<>();
  private Process process;

  private ServerProcess(Path data, int port, List<String> extraArgs) {
    this.data = data;
    this.port = port;
    this.extraArgs = extraArgs;
  }

  static ServerProcess start(Path data, String... extraArgs) throws IOException {
    for (int attempt = 1; ; attempt++) {
      ServerProcess server = new ServerProcess(data, TestPorts.free(), List.of(extraArgs));
      try {
        server.start();
        return server;
      } catch (IOException e) {
        // The port was free when drawn; another test's server may have bound it since.
        if (attempt == 5 || !TestPorts.taken(e)) {
          throw e;
        }
      }
    }
  }

  void start() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("--enable-native-access=ALL-UNNAMED");
    // A test's relay lives for seconds: C2 and G1 would only add to its start (3.0 -> 1.7 s of CPU).
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add("server");
    command.add("--data");
    command.add(data.toString());
    command.add("--port");
    command.add(Integer.toString(port));
    command.addAll(extraArgs);
    output.clear();
    process = new ProcessBuilder(command).redirectErrorStream(true).start();
    Thread.ofPlatform().daemon().start(this::readOutput);
    // Generous: several servers may start at once on a busy machine. A server that exits says why.
    await().atMost(Duration.ofSeconds(150))
        .until(() -> !process.isAlive() || output.stream().anyMatch(l -> l.startsWith("listening on ")));
    if (!process.isAlive()) {
      throw new IOException("the server exited at start: " + String.join("\n", output));
    }
  }

  private void readOutput() {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        output.add(line);
        Matcher m = CODE.matcher(line);
        if (m.find()) {
          codes.put(m.group(1), m.group(2));
        }
      }
    } catch (IOException e) {
      // the process died; that is what some tests want
    }
  }

  /** The address the server printed ("listening on ws://..." or "wss://..."). */
  String url() {
    return output.stream()
        .filter(l -> l.startsWith("listening on "))
        .map(l -> l.substring("listening on ".length()).strip())
        .findFirst()
        .orElseThrow();
  }

  String codeFor(String phone) {
    await().atMost(Duration.ofSeconds(60)).until(() -> codes.containsKey(phone));
    return codes.remove(phone);
  }

  /** The code printed for the phone, if any yet; taken so it is used once. */
  String takeCode(String phone) {
    return codes.remove(phone);
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The server's operating-system process id (for its memory and open files in /proc). */
  long pid() {
    return process.pid();
  }

  int port() {
    return port;
  }

  List<String> output() {
    return List.copyOf(output);
  }

  /** SIGTERM, as systemd or docker stop send it; waits for the process to end and returns its exit code. */
  int terminate() throws InterruptedException {
    // Through the handle: Process.destroy() would also close our end of its output at once, and
    // what the server says while it drains would be lost.
    process.toHandle().destroy();
    return process.waitFor();
  }

  /** The data directory this server runs on. */
  Path data() {
    return data;
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or closed. */
  void killHard() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

}
