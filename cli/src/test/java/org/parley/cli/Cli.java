package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.parley.server.testing.TestServer;

/** Runs {@code parley --profile DIR/NAME ...} in this JVM, as a user would type it. */
final class Cli {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path profiles;

  Cli(Path profiles) {
    this.profiles = profiles;
  }

  record Run(int code, String out, String err) {
    List<JsonNode> json() throws Exception {
      List<JsonNode> objects = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          objects.add(JSON.readTree(line));
        }
      }
      return objects;
    }
  }

  Run parley(String profile, String... args) {
    return parley(new ByteArrayOutputStream(), profile, args);
  }

  /** Runs the command and fails the test, showing its standard error, unless it exits 0. */
  Run ok(String profile, String... args) {
    Run run = parley(profile, args);
    assertThat(run.code()).as("parley %s: %s", String.join(" ", args), run.err()).isZero();
    return run;
  }

  /** Registers {@code profile} as {@code phone} on {@code server} with the code the server texted. */
  void registerAs(TestServer server, String profile, String phone) {
    ok(profile, "register", "--server", server.url(), "--phone", phone);
    ok(profile, "verify", server.sms().codeFor(phone));
  }

  /** @param out the standard output, readable while the command runs */
  Run parley(ByteArrayOutputStream out, String profile, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("--profile", profiles.resolve(profile).toString()));
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
}
