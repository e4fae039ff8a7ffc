package org.parley.client;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A main class of the test classpath run in a JVM of its own, so that a crash test can kill it
 * with SIGKILL at a point it chose: no shutdown hook runs and nothing is closed, as when the power
 * goes. The child's output (stdout and stderr) is collected line by line as it comes; closing kills
 * the child if it still runs.
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final List<String> output = new CopyOnWriteArrayList<>();

  private ChildJvm(Process process) {
    this.process = process;
    Thread.ofPlatform().daemon().start(this::readOutput);
  }

  /** Starts {@code main} with the test's own java, classpath and native access. */
  public static ChildJvm start(Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /**
   * Waits until the child printed {@code line} or exited, whichever comes first, and says whether it
   * printed it (a child that died on the way is not waited on for the whole time).
   */
  public boolean awaitLine(String line, Duration atMost) {
    await().atMost(atMost).until(() -> output.contains(line) || !process.isAlive());
    return output.contains(line);
  }

  /** Every line the child printed so far. */
  public List<String> output() {
    return List.copyOf(output);
  }

  /** SIGKILL, then waits for the child to be gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  private void readOutput() {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        output.add(line);
      }
    } catch (IOException e) {
      // the child was killed: its output ends here
    }
  }
}
