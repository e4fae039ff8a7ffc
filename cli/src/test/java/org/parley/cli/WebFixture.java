package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parley.cli.daemon.Daemon;
import org.parley.cli.web.WebCompanion;
import org.parley.client.ClientConfig;

/**
 * What the web companion's ITs stand on: a real server process, CLI profiles registered on it, and
 * the web page served by an in-process daemon for one profile (its primary, or one still to be
 * linked), on a loopback port. Closing stops the daemon and the server.
 */
final class WebFixture implements AutoCloseable {
  private final Path dir;
  private final ServerProcess server;
  private Daemon daemon;
  private WebCompanion page;

  private WebFixture(Path dir, ServerProcess server) {
    this.dir = dir;
    this.server = server;
  }

  /** Starts the server; the profiles will be {@code dir}'s subdirectories. */
  static WebFixture start(Path dir) throws Exception {
    return new WebFixture(dir, ServerProcess.start(dir.resolve("server")));
  }

  /** Registers {@code profile} as the primary of {@code phone}, as a user does with the CLI. */
  WebFixture register(String profile, String phone) {
    ok(profile, "register", "--server", server.url(), "--phone", phone);
    ok(profile, "verify", server.codeFor(phone));
    return this;
  }

  /** Runs the CLI on {@code profile}, and asserts it succeeded. */
  Cli.Run ok(String profile, String... args) {
    Cli.Run run = new Cli(dir).parley(profile, args);
    assertThat(run.code()).as("parley %s: %s", String.join(" ", args), run.err()).isZero();
    return run;
  }

  /** Serves the web page for {@code profile} on a daemon of this test's process. */
  WebFixture serve(String profile, ClientConfig config) {
    daemon = daemon(dir.resolve(profile), config);
    page = WebCompanion.mount(daemon, server.url(), Clock.systemUTC());
    return this;
  }

  /** A daemon of this test's process for one profile, its HTTP on a free loopback port; the caller closes it. */
  static Daemon daemon(Path profile, ClientConfig config) {
    return Daemon.start(
        new Daemon.Options(
            List.of(profile), false, profile, null, null,
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null, Duration.ofDays(30), config));
  }

  ServerProcess server() {
    return server;
  }

  Daemon daemon() {
    return daemon;
  }

  WebCompanion page() {
    return page;
  }

  /** Where the page is served. */
  InetSocketAddress http() {
    return daemon.http().address();
  }

  /** The one header every request to the page carries: its own Host (anything else is refused as DNS rebinding). */
  Map<String, String> headers() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Host", "127.0.0.1:" + http().getPort());
    return headers;
  }

  /** Logs in with a fresh one-time token: {@link #headers} with the session's cookie. */
  Map<String, String> login() throws Exception {
    Map<String, String> session = headers();
    RawHttp.Response login = RawHttp.request(http(), "POST", "/web/login", session, page.loginToken());
    assertThat(login.status()).isEqualTo(204);
    session.put("Cookie", login.headers().get("set-cookie").split(";")[0]);
    return session;
  }

  @Override
  public void close() {
    try (ServerProcess s = server) {
      if (daemon != null) {
        daemon.close();
      }
    }
  }
}
