package org.parley.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.parley.cli.Main;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The operator's table of server options (docs/operating.md) names every option of {@code parley
 * server} with its config key and environment variable, and nothing that is not an option.
 */
class ServerOptionsDocTest {
  private static final Path DOC = Path.of("..", "docs", "operating.md");
  private static final Pattern ROW = Pattern.compile("^\\| `(--[a-z0-9-]+)[^`]*` \\| `([a-z0-9-]+)` \\| `([A-Z0-9_]+)` \\|");

  @Test
  void everyServerOptionHasItsRowWithTheDerivedNames() throws Exception {
    Map<String, String> documented = new TreeMap<>();
    for (String line : Files.readAllLines(DOC)) {
      Matcher row = ROW.matcher(line);
      if (row.find()) {
        documented.put(row.group(1), row.group(2) + " " + row.group(3));
      }
    }
    Map<String, String> options = new TreeMap<>();
    var server =
        Main.commandLine(new Main.Context(System.out, System.err, Clock.systemUTC(), Map.of()))
            .getSubcommands()
            .get("server")
            .getCommandSpec();
    for (OptionSpec option : server.options()) {
      if (OptionSources.configurable(option)) {
        options.put(
            option.longestName(),
            OptionSources.configKey(option) + " " + OptionSources.environmentVariable(option));
      }
    }
    assertThat(documented)
        .as("rows of the option table in %s (option, config key, environment variable)", DOC)
        .isEqualTo(options);
  }
}
