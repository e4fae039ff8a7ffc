package org.parley.cli.daemon;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The daemon's HTTP server (the JDK's, so the cli module needs no server framework): routes mounted
 * by path, every request checked first for its {@code Host} header (a page on another site that
 * points a name of its own at 127.0.0.1, DNS rebinding, gets 403), and the API's routes also for
 * a credential: the bearer token, or whatever else was allowed with {@link #allowApiAccess} (the web
 * companion's session cookie).
 *
 * <p>More routes mount beside the API's with {@link #mount}: static files, a login page.
 */
public final class HttpApi implements AutoCloseable {
  /** Largest request body taken; a bigger one is refused with 413. */
  public static final int MAX_BODY = 1 << 20;

  /** Decides whether a request may reach a route. */
  @FunctionalInterface
  public interface Guard {
    boolean admits(HttpExchange exchange);

    /** Anyone who got past the Host check (a login page, static files). */
    Guard OPEN = exchange -> true;
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Set<String> hosts;
  private final List<Guard> apiAccess = new CopyOnWriteArrayList<>();

  private HttpApi(HttpServer server, Set<String> hosts, Token token) {
    this.server = server;
    this.hosts = hosts;
    this.apiAccess.add(exchange -> token.matches(bearer(exchange)));
  }

  /** Listens on {@code address}; requests must name it (or localhost) in their Host header. */
  static HttpApi start(InetSocketAddress address, Token token) throws IOException {
    HttpServer server = HttpServer.create(address, 64);
    int port = server.getAddress().getPort();
    HttpApi api = new HttpApi(server, allowedHosts(address.getAddress(), address.getHostString(), port), token);
    server.setExecutor(api.threads);
    server.start();
    return api;
  }

  /** The names a browser or script may use for this server: the bound address, and loopback's names. */
  static Set<String> allowedHosts(InetAddress bound, String boundName, int port) {
    Set<String> names = new java.util.HashSet<>();
    for (String host : List.of("localhost", "127.0.0.1", "[::1]", boundName, bound.getHostAddress())) {
      String name = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
      names.add(name.toLowerCase(Locale.ROOT) + ":" + port);
    }
    return Set.copyOf(names);
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Adds a way besides the bearer token to be let into the API routes (the web companion's session). */
  public void allowApiAccess(Guard guard) {
    apiAccess.add(guard);
  }

  /** Whether a request carries a credential for the API routes. */
  public boolean apiAccess(HttpExchange exchange) {
    return apiAccess.stream().anyMatch(g -> g.admits(exchange));
  }

  /** Serves {@code path} (and everything under it) with {@code handler}, for requests {@code guard} admits. */
  public void mount(String path, Guard guard, HttpHandler handler) {
    var context = server.createContext(path, handler);
    context.getFilters().add(new Filter() {
      @Override
      public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host == null || !hosts.contains(host.toLowerCase(Locale.ROOT))) {
          respond(exchange, 403, "text/plain", "this server answers only to requests for " + hosts.iterator().next()
              + " and the other loopback names (Host header refused)\n");
          return;
        }
        if (!guard.admits(exchange)) {
          exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"parley\"");
          respond(exchange, 401, "text/plain",
              "give the daemon's token: Authorization: Bearer TOKEN ('parley daemon --print-token')\n");
          return;
        }
        chain.doFilter(exchange);
      }

      @Override
      public String description() {
        return "Host header and credential";
      }
    });
  }

  /** The guard of the API routes: a bearer token or another allowed credential. */
  public Guard apiGuard() {
    return this::apiAccess;
  }

  private static String bearer(HttpExchange exchange) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return authorization.substring(7);
  }

  /** The request's body, or {@code null} (after answering 413) if it is over {@link #MAX_BODY}. */
  public static byte[] body(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readNBytes(MAX_BODY + 1);
      if (body.length > MAX_BODY) {
        respond(exchange, 413, "text/plain", "a request body is at most " + MAX_BODY + " bytes\n");
        return null;
      }
      return body;
    }
  }

  public static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
