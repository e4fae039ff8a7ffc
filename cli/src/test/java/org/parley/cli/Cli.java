package org.parley.cli;

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
