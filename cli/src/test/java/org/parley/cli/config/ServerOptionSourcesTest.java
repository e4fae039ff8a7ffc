package org.parley.cli.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.cli.Main;
import org.parley.cli.commands.ServerCommand;
import org.parley.server.ServerConfig;
import picocli.CommandLine;

/** Every server option from the command line, the environment or the config file, in that order. */
class ServerOptionSourcesTest {
  @TempDir Path dir;

  @Test
  void theCommandLineWinsOverTheEnvironmentWhichWinsOverTheFile() throws Exception {
    Path file = write("""
        # /etc/parley/server.conf
        port = 9000
        queue-ttl = 7d
        data = "/var/lib/parley"
        insecure-bind = true   # behind a TLS proxy
        """);
    Map<String, String> environment = Map.of("PARLEY_PORT", "9100", "PARLEY_MAX_COMPANIONS", "2");

    ServerConfig fromFileAndEnvironment = parse(environment, "--config", file.toString());
    assertThat(fromFileAndEnvironment.port()).isEqualTo(9100);
    assertThat(fromFileAndEnvironment.maxCompanions()).isEqualTo(2);
    assertThat(fromFileAndEnvironment.queueTtl()).isEqualTo(Duration.ofDays(7));
    assertThat(fromFileAndEnvironment.dataDirectory()).isEqualTo(Path.of("/var/lib/parley"));
    assertThat(fromFileAndEnvironment.insecureBind()).isTrue();

    ServerConfig commandLine = parse(environment, "--config", file.toString(), "--port", "9200");
    assertThat(commandLine.port()).isEqualTo(9200);

    ServerConfig fileOnly = parse(Map.of(), "--config", file.toString());
    assertThat(fileOnly.port()).isEqualTo(9000);
  }

  @Test
  void theFileCanBeNamedByTheEnvironmentAndDefaultsFillTheRest() throws Exception {
    Path file = write("companion-inactivity = 12h\n");
    ServerConfig config = parse(Map.of("PARLEY_CONFIG", file.toString()));
    assertThat(config.companionInactivity()).isEqualTo(Duration.ofHours(12));
    assertThat(config.primaryInactivity()).isEqualTo(Duration.ofDays(14));
    assertThat(config.port()).isEqualTo(8080);
    assertThat(config.bindHost()).isEqualTo("127.0.0.1");
    assertThat(config.insecureBind()).isFalse();
  }

  @Test
  void theExampleConfigFileInTheDocsIsValid() {
    ServerConfig example = parse(Map.of(), "--config", Path.of("..", "docs", "server.conf.example").toString());
    assertThat(example.dataDirectory()).isEqualTo(Path.of("/var/lib/parley"));
    assertThat(example.adminPort()).isEqualTo(9464);
    assertThat(example.drainTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void anUnknownKeyStopsTheServerWithItsLine() throws Exception {
    Path file = write("port = 9000\n\nqueue-tll = 7d\n");
    Run run = run(Map.of(), "server", "--config", file.toString());
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains(file + " line 3").contains("unknown key 'queue-tll'");
  }

  @Test
  void aKeySetTwiceOrALineWithoutValueIsRefused() throws Exception {
    assertThat(run(Map.of(), "server", "--config", write("port = 1\nport = 2\n").toString()).err())
        .contains("line 2").contains("'port' is set twice");
    assertThat(run(Map.of(), "server", "--config", write("port\n").toString()).err())
        .contains("line 1").contains("expected 'key = value'");
    assertThat(run(Map.of(), "server", "--config", dir.resolve("missing.conf").toString()).err())
        .contains("cannot read the config file");
  }

  @Test
  void aBadValueFromTheEnvironmentIsRefusedLikeOneOnTheCommandLine() {
    Run run = run(Map.of("PARLEY_QUEUE_TTL", "a week"), "server");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("--queue-ttl").contains("'a week' is not a duration");
  }

  private ServerConfig parse(Map<String, String> environment, String... args) {
    CommandLine cli = Main.commandLine(context(environment, new ByteArrayOutputStream()));
    List<String> all = new ArrayList<>(List.of("server"));
    all.addAll(List.of(args));
    cli.parseArgs(all.toArray(String[]::new));
    return cli.getSubcommands().get("server").<ServerCommand>getCommand().serverConfig();
  }

  record Run(int code, String err) {}

  private Run run(Map<String, String> environment, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(context(environment, err), args);
    return new Run(code, err.toString(StandardCharsets.UTF_8));
  }

  private static Main.Context context(Map<String, String> environment, ByteArrayOutputStream err) {
    return new Main.Context(
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        Clock.systemUTC(),
        environment);
  }

  private Path write(String text) throws Exception {
    Path file = Files.createTempFile(dir, "server", ".conf");
    Files.writeString(file, text);
    return file;
  }
}
