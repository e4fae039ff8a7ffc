package org.parley.cli.startup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.parley.cli.Main;
import org.parley.cli.daemon.Daemon;
import org.parley.client.ClientConfig;

/**
 * The training run of the start-up cache (issue 16). The {@code parley} launcher runs this class
 * once after each build with {@code -XX:AOTCacheOutput}: the JVM records the classes that a user's
 * everyday commands load and link, and writes them to {@code cli/target/parley.aot}, which every
 * later command maps at start instead of finding, parsing, verifying and linking them again.
 *
 * <p>It plays two users of a throwaway relay: register and verify both, send and receive, the same
 * through a daemon holding a profile, ask for help. The relay runs in a process of its own, so that
 * only the client's classes go into the cache (every class in it is loaded at start, used or not).
 * Everything happens in a temporary directory, deleted afterwards.
 */
public final class AotTraining {
  private static final Pattern CODE = Pattern.compile("verification code for (\\+\\d+): (\\d{6})");
  private static final String ALICE = "+15550199001";
  private static final String BOB = "+15550199002";

  private AotTraining() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("parley-aot-training");
    long start = System.nanoTime();
    Process server = startServer(dir.resolve("server"));
    try {
      Map<String, CompletableFuture<String>> codes = new ConcurrentHashMap<>();
      String url = listen(server, codes);
      for (String[] user : new String[][] {{"alice", ALICE}, {"bob", BOB}}) {
        run(dir, user[0], "register", "--server", url, "--phone", user[1]);
        run(dir, user[0], "verify", code(codes, user[1]).get(60, TimeUnit.SECONDS));
      }
      for (int i = 0; i < 2; i++) {
        run(dir, "alice", "send", "--to", BOB, "training message " + i);
        run(dir, "bob", "receive", "--timeout", "200ms");
        run(dir, "bob", "send", "--json", "--to", ALICE, "answer " + i);
        run(dir, "alice", "receive", "--json", "--timeout", "200ms");
      }
      // A command on a profile a daemon holds takes another path: the JSON-RPC client on the control
      // socket. The daemon runs in this JVM, so its few classes come along into the cache.
      Path alice = dir.resolve("alice");
      try (Daemon daemon =
          Daemon.start(
              new Daemon.Options(
                  List.of(alice), false, alice, null, null, null, null, Duration.ofDays(1), ClientConfig.defaults()))) {
        for (int i = 0; i < 2; i++) {
          run(dir, "alice", "send", "--to", BOB, "through the daemon " + i);
          run(dir, "alice", "receive", "--json", "--timeout", "200ms");
          run(dir, "alice", "history", "--limit", "3");
        }
      }
      run(dir, null, "--help");
      run(dir, null, "send", "--help");
    } finally {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
      delete(dir);
    }
    System.out.printf("start-up training: %.1f s%n", (System.nanoTime() - start) / 1e9);
  }

  private static Process startServer(Path data) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED"));
    command.add("-Djava.library.path=" + System.getProperty("java.library.path"));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of("server", "--data", data.toString(), "--port", "0"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("JAVA_TOOL_OPTIONS"); // the relay is not what is being recorded
    return builder.start();
  }

  /** Reads the relay's output on a thread of its own: its address, then the codes it "texts". */
  private static String listen(Process server, Map<String, CompletableFuture<String>> codes)
      throws InterruptedException {
    BlockingQueue<String> address = new LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = lines.readLine()) != null; ) {
          if (line.startsWith("listening on ")) {
            address.add(line.substring("listening on ".length()).strip());
          }
          Matcher code = CODE.matcher(line);
          if (code.find()) {
            code(codes, code.group(1)).complete(code.group(2));
          }
        }
      } catch (IOException e) {
        // the relay is gone; a step waiting for it fails with its own words
      }
    });
    String url = address.poll(120, TimeUnit.SECONDS);
    if (url == null) {
      throw new IllegalStateException("the training relay did not start within 120 s");
    }
    return url;
  }

  private static CompletableFuture<String> code(Map<String, CompletableFuture<String>> codes, String phone) {
    return codes.computeIfAbsent(phone, p -> new CompletableFuture<>());
  }

  private static void run(Path dir, String profile, String... command) {
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    String[] args = command;
    if (profile != null) {
      args = Stream.concat(Stream.of("--profile", dir.resolve(profile).toString()), Stream.of(command)).toArray(String[]::new);
    }
    int code = Main.run(new Main.Context(quiet, quiet, Clock.systemUTC(), Map.of()), args);
    if (code != 0) {
      throw new IllegalStateException("training step failed (exit " + code + "): parley " + String.join(" ", command));
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
