package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A command line holds only the subcommand it runs, and all of them when it runs none. */
class CommandLinesTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Main.Context context =
      new Main.Context(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
          Clock.systemUTC(), Map.of());

  @Test
  void aNamedCommandIsTheOnlyOneBuilt() {
    CommandLine line = Main.commandLine(context, "--profile", "/tmp/p", "send", "--to", "+15550100002", "hi");

    assertThat(line.getSubcommands()).containsOnlyKeys("send");
  }

  @Test
  void helpAndNoCommandListEveryCommand() {
    assertThat(Main.commandLine(context, "--help").getSubcommands()).hasSize(Main.COMMANDS.size());
    assertThat(Main.commandLine(context, "help", "send").getSubcommands()).hasSize(Main.COMMANDS.size());

    assertThat(Main.run(context, "--help")).isZero();
    String help = out.toString(StandardCharsets.UTF_8);
    for (String command : Main.commandLine(context).getSubcommands().keySet()) {
      assertThat(help).contains("  " + command);
    }
  }

  @Test
  void aMistypedCommandStillGetsASuggestion() {
    assertThat(Main.run(context, "--profile", "/tmp/p", "sned", "hello")).isEqualTo(2);

    assertThat(err.toString(StandardCharsets.UTF_8)).contains("sned").contains("send");
  }
}
