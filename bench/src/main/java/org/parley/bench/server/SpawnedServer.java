package org.parley.bench.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A relay in its own JVM, started by the bench ({@link BenchServer} from the same class path), so
 * that the figures are those of a real separate server process. Its stdout is read for the
 * listening address and verification codes; its stderr goes to {@code server.log} in its data
 * directory. It exits when the bench does (it watches its stdin).
 */
public final class SpawnedServer implements ServerHandle {
  private static final Pattern STATS = Pattern.compile("stats heap_used=([0-9]+) direct_used=(-?[0-9]+)");

  private final Process process;
  private final PrintStream control;
  private final CodeBook codes = new CodeBook();
  private final CompletableFuture<String> url = new CompletableFuture<>();
  private volatile CompletableFuture<long[]> pendingStats;
  private volatile long direct = -1;
  private final ProcessStats stats;

  /**
   * @param jvmOptions extra options for the server JVM (heap size, JFR)
   * @param cpus CPUs to pin the server to with taskset (e.g. "0"), or null
   */
  public SpawnedServer(Path data, List<String> jvmOptions, String cpus) throws IOException {
    this(data, jvmOptions, cpus, List.of());
  }

  /** @param serverArgs more options of {@link BenchServer} ({@code --store ...}, {@code --no-rate-limits}) */
  public SpawnedServer(Path data, List<String> jvmOptions, String cpus, List<String> serverArgs) throws IOException {
    Files.createDirectories(data);
    List<String> command = new ArrayList<>();
    if (cpus != null) {
      command.addAll(List.of("taskset", "-c", cpus));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchServer.class.getName()));
    command.addAll(List.of("--data", data.toString(), "--port", "0", "--control-stdin"));
    command.addAll(serverArgs);
    this.process =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(data.resolve("server.log").toFile()))
            .start();
    this.stats = new ProcessStats(process.pid());
    this.control = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
    Thread.ofPlatform().daemon().name("server-stdout").start(this::readOutput);
    try {
      url.get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IOException("interrupted while the server started");
    } catch (ExecutionException | TimeoutException e) {
      close();
      throw new IOException(
          "the server did not start within 60 s; see " + data.resolve("server.log") + " for why", e);
    }
  }

  private void readOutput() {
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("listening on ")) {
          url.complete(line.substring("listening on ".length()).strip());
        } else if (line.startsWith("stats ")) {
          Matcher m = STATS.matcher(line);
          CompletableFuture<long[]> waiting = pendingStats;
          if (m.find() && waiting != null) {
            waiting.complete(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
          }
        } else {
          codes.offer(line);
        }
      }
    } catch (IOException e) {
      // the process ended
    }
    url.completeExceptionally(new IOException("the server exited"));
  }

  @Override
  public String url() {
    return url.join();
  }

  @Override
  public CompletableFuture<String> code(String phone) {
    return codes.code(phone);
  }

  @Override
  public ProcessStats stats() {
    return stats;
  }

  @Override
  public synchronized OptionalLong heapAfterGc() {
    CompletableFuture<long[]> answer = new CompletableFuture<>();
    pendingStats = answer;
    control.println("stats");
    try {
      long[] values = answer.get(60, TimeUnit.SECONDS);
      direct = values[1];
      return OptionalLong.of(values[0]);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalLong.empty();
    } catch (ExecutionException | TimeoutException e) {
      return OptionalLong.empty();
    }
  }

  @Override
  public OptionalLong directMemory() {
    return direct < 0 ? OptionalLong.empty() : OptionalLong.of(direct);
  }

  /** SIGKILL: the node dies as in a machine loss, with no drain and no goodbye. */
  public void killHard() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    control.close();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
