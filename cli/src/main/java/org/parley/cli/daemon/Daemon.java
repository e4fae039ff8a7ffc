package org.parley.cli.daemon;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.parley.cli.rpc.JsonRpc;
import org.parley.cli.rpc.Methods;
import org.parley.client.ClientConfig;
import org.parley.client.ClientException;

/**
 * A running daemon (README.md, daemon): the profiles it holds, each receiving all the time with its own
 * control socket for the commands run on it, and the transports it was asked for: another UNIX
 * socket, TCP, HTTP. Closing it stops them all and releases the profiles.
 */
public final class Daemon implements AutoCloseable {
  /** The answer to {@code webLogin}, the address {@code parley web} prints: {@code {"url": "http://127.0.0.1:PORT/#token=..."}}. */
  public record WebLogin(String url) {}

  /**
   * What to start.
   *
   * @param profiles the profile directories to hold
   * @param multi whether calls name their profile ({@code --profiles DIR})
   * @param tokenHome where the token for TCP and HTTP is kept: the profile, or the profiles' directory
   * @param webhook where to POST each event, or {@code null}
   * @param keepEvents how long events stay in the log for consumers that were away (those the
   *     webhook has not taken stay besides, up to its backlog)
   * @param webhookLimits how many events the log keeps besides for a webhook that is away, and how
   *     long one try may take
   */
  public record Options(
      List<Path> profiles,
      boolean multi,
      Path tokenHome,
      Path socket,
      InetSocketAddress tcp,
      InetSocketAddress http,
      java.net.URI webhook,
      Duration keepEvents,
      ClientConfig config,
      WebhookLimits webhookLimits) {
    /** Options with the default webhook limits. */
    public Options(
        List<Path> profiles,
        boolean multi,
        Path tokenHome,
        Path socket,
        InetSocketAddress tcp,
        InetSocketAddress http,
        java.net.URI webhook,
        Duration keepEvents,
        ClientConfig config) {
      this(profiles, multi, tokenHome, socket, tcp, http, webhook, keepEvents, config, WebhookLimits.DEFAULT);
    }
  }

  /**
   * {@code --webhook-backlog}: events the log keeps, beyond {@code --keep-events}, for a webhook
   * that has not taken them (past it the oldest go, and the hook is told how many it missed);
   * {@code --webhook-timeout}: how long one POST may take, answer and body included.
   */
  public record WebhookLimits(int backlog, Duration timeout) {
    public static final WebhookLimits DEFAULT = new WebhookLimits(100_000, Duration.ofSeconds(30));

    public WebhookLimits {
      if (backlog < 1) {
        throw new IllegalArgumentException("--webhook-backlog must be at least 1");
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("--webhook-timeout must be longer than 0");
      }
    }
  }

  private final Options options;
  private final Profiles profiles;
  private final Token token;
  private final JsonRpc rpc = new JsonRpc(Methods.all());
  private final List<AutoCloseable> running = new ArrayList<>();
  private final List<Path> controlSockets = new ArrayList<>();
  private final ScheduledExecutorService housekeeping =
      Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("parley-housekeeping").daemon().unstarted(r));
  private LineServer tcp;
  private HttpApi http;

  private Daemon(Options options, Profiles profiles, Token token) {
    this.options = options;
    this.profiles = profiles;
    this.token = token;
  }

  public static Daemon start(Options options) {
    List<DeviceHost> hosts = new ArrayList<>();
    try {
      for (Path profile : options.profiles()) {
        hosts.add(DeviceHost.open(profile, options.config()));
      }
    } catch (RuntimeException e) {
      hosts.forEach(DeviceHost::close);
      throw e;
    }
    Daemon daemon = new Daemon(options, new Profiles(hosts, options.multi()), Token.of(options.tokenHome()));
    try {
      daemon.listen();
    } catch (IOException | RuntimeException e) {
      daemon.close();
      throw e instanceof ClientException client ? client : new ClientException("the daemon could not start: " + e.getMessage(), e);
    }
    return daemon;
  }

  private void listen() throws IOException {
    for (DeviceHost host : profiles.all()) {
      Path socket = host.controlSocket();
      running.add(LineServer.unix(socket, rpc, profiles, host));
      host.advertise(socket);
      controlSockets.add(socket);
    }
    if (options.socket() != null) {
      running.add(LineServer.unix(options.socket(), rpc, profiles, null));
    }
    if (options.tcp() != null) {
      tcp = LineServer.tcp(options.tcp(), rpc, profiles, token);
      running.add(tcp);
    }
    if (options.http() != null) {
      http = HttpApi.start(options.http(), token);
      new ApiRoutes(rpc, profiles).mountOn(http);
      running.add(http);
    }
    Map<DeviceHost, Webhook> hooks = new HashMap<>();
    if (options.webhook() != null) {
      for (DeviceHost host : profiles.all()) {
        Webhook hook =
            new Webhook(
                options.webhook(), host, profiles.multi() ? host.phone() : null, options.webhookLimits(),
                options.keepEvents(), options.config().clock());
        hook.start();
        running.add(hook);
        hooks.put(host, hook);
      }
    }
    // Events are kept --keep-events long for consumers that come back (since, Last-Event-ID), and
    // those the webhook has not taken yet until it has, up to its backlog (it is told of a gap).
    Clock clock = options.config().clock();
    housekeeping.scheduleWithFixedDelay(
        () -> profiles.all().forEach(h -> {
          Webhook hook = hooks.get(h);
          h.feed().log().forgetBefore(
              clock.millis() - options.keepEvents().toMillis(), hook == null ? Long.MAX_VALUE : hook.acknowledged());
        }),
        0, 1, TimeUnit.HOURS);
  }

  /** The HTTP server, to mount more routes on (the web companion), or {@code null} without {@code --http}. */
  public HttpApi http() {
    return http;
  }

  /** The device of the one profile held (the web companion's); refused with {@code --profiles}. */
  public org.parley.client.Device device() {
    return single().device();
  }

  /**
   * Lets {@code parley web} run on the held profile ask this daemon for a page login over the
   * profile's control socket ({@code webLogin}): {@code login} mints one and answers the address to open.
   */
  public void offerWebLogin(java.util.function.Supplier<String> login) {
    single().webLogin(login);
  }

  /** Whether this daemon holds exactly one profile (the web companion serves only such a daemon). */
  public boolean holdsOneProfile() {
    return !profiles.multi() && profiles.all().size() == 1;
  }

  /** Runs a handler on the one profile held, as a JSON-RPC call would (one at a time on the device). */
  public <P, R> R run(org.parley.cli.commands.Handler<P, R> handler, P params, org.parley.cli.commands.Caller caller) {
    return single().run(handler, params, caller);
  }

  private DeviceHost single() {
    if (profiles.all().size() != 1) {
      throw new IllegalStateException("this daemon holds " + profiles.all().size() + " profiles, not one");
    }
    return profiles.all().getFirst();
  }

  public InetSocketAddress tcpAddress() throws IOException {
    return tcp == null ? null : (InetSocketAddress) tcp.address();
  }

  /** The control socket of each profile, in the order given. */
  public List<Path> controlSockets() {
    return List.copyOf(controlSockets);
  }

  /** The phone number of each profile held (null before registration), in the order given. */
  public List<String> phones() {
    return profiles.all().stream().map(DeviceHost::phone).toList();
  }

  public String token() {
    return token.text();
  }

  /** The token kept in {@code home} (made now if there is none yet), for {@code --print-token}. */
  public static String token(Path home) {
    return Token.of(home).text();
  }

  @Override
  public void close() {
    housekeeping.shutdownNow();
    for (AutoCloseable transport : running.reversed()) {
      try {
        transport.close();
      } catch (Exception ignored) {
        // closing the rest anyway
      }
    }
    profiles.close();
  }
}
