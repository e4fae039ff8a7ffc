package org.parley.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parley.cli.Main;
import org.parley.cli.commands.ServerCommand;
import org.parley.server.ServerConfig;
import picocli.CommandLine;

/** {@code --ack-hold}: its default, zero without a unit, the environment, and its bound. */
class AckHoldOptionTest {
  @Test
  void defaultsTo25MillisecondsAndZeroNeedsNoUnit() {
    assertThat(parse(Map.of()).ackHold()).isEqualTo(Duration.ofMillis(25));
    assertThat(parse(Map.of(), "--ack-hold", "0").ackHold()).isZero();
    assertThat(parse(Map.of("PARLEY_ACK_HOLD", "5ms")).ackHold()).isEqualTo(Duration.ofMillis(5));
  }

  @Test
  void aHoldLongerThanTenSecondsIsRefusedWithTheBound() {
    assertThatThrownBy(() -> parse(Map.of(), "--ack-hold", "11s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--ack-hold must be between 0 (no hold) and 10s");
  }

  private static ServerConfig parse(Map<String, String> environment, String... args) {
    Main.Context context =
        new Main.Context(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            Clock.systemUTC(),
            environment);
    CommandLine cli = Main.commandLine(context);
    List<String> all = new ArrayList<>(List.of("server"));
    all.addAll(List.of(args));
    cli.parseArgs(all.toArray(String[]::new));
    return cli.getSubcommands().get("server").<ServerCommand>getCommand().serverConfig();
  }
}
