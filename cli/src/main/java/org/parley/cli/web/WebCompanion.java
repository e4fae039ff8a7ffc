package org.parley.cli.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import org.parley.cli.daemon.Daemon;
import org.parley.cli.daemon.HttpApi;
import org.parley.client.linking.QrCodes;

/**
 * The web companion's routes beside the daemon's API (README.md, web companion): the page itself (plain files
 * from the jar, under a Content-Security-Policy that allows no inline script and no other origin),
 * the login that turns the printed one-time token into a session cookie, the device's state, and
 * linking by QR code. The page then uses the daemon's own JSON-RPC and event stream with its cookie.
 */
public final class WebCompanion {
  /**
   * Scripts, styles, images and connections from this origin only; nothing framed, no plugins, no
   * base tag, forms only to here. The QR code is an image from this origin too.
   */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
          + " manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private static final String ROOT = "/org/parley/cli/web/";
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html", "js", "text/javascript", "css", "text/css", "svg", "image/svg+xml",
          "png", "image/png", "json", "application/json");

  private final Daemon daemon;
  private final WebSessions sessions;
  private final LinkFlow link;
  private final ObjectMapper json = new ObjectMapper();

  private WebCompanion(Daemon daemon, String server, Clock clock) {
    this.daemon = daemon;
    this.sessions = new WebSessions(daemon.http().address().getPort());
    this.link = new LinkFlow(daemon, server, clock);
  }

  /** Mounts the page on the daemon's HTTP server and lets its session cookie into the API. */
  public static WebCompanion mount(Daemon daemon, String server, Clock clock) {
    if (daemon.http() == null) {
      throw new IllegalStateException("the web companion needs the daemon's HTTP server");
    }
    WebCompanion web = new WebCompanion(daemon, server, clock);
    HttpApi http = daemon.http();
    http.allowApiAccess(web.sessions::admits);
    http.mount("/web/login", HttpApi.Guard.OPEN, web::login);
    http.mount("/web/state", web.sessions::hasSession, web::state);
    http.mount("/web/link", web.sessions::admits, web::startLink);
    http.mount("/web/qr.png", web.sessions::hasSession, web::qr);
    http.mount("/web/attachment", web.sessions::hasSession, new AttachmentRoute(daemon)::serve);
    http.mount("/", HttpApi.Guard.OPEN, web::file);
    daemon.offerWebLogin(web::loginAddress);
    return web;
  }

  /** A new one-time login token: the address to open is {@code http://HOST:PORT/#token=TOKEN}. */
  public String loginToken() {
    return sessions.newLoginToken();
  }

  /**
   * The address to open with a new one-time login: {@code http://HOST:PORT/#token=TOKEN}, on
   * 127.0.0.1 when the page listens on loopback or every address.
   */
  public String loginAddress() {
    var bound = daemon.http().address();
    String host = bound.getAddress().isAnyLocalAddress() || bound.getAddress().isLoopbackAddress()
        ? "127.0.0.1" : bound.getAddress().getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort() + "/#token=" + loginToken();
  }

  private void login(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      exchange.getResponseHeaders().set("Allow", "POST");
      HttpApi.respond(exchange, 405, "text/plain", "POST the login token\n");
      return;
    }
    byte[] body = HttpApi.body(exchange);
    if (body == null) {
      return;
    }
    String session = sessions.login(new String(body, StandardCharsets.US_ASCII));
    if (session == null) {
      HttpApi.respond(exchange, 403, "text/plain",
          "this login link was used already or is wrong; run 'parley web' again for a new one\n");
      return;
    }
    exchange.getResponseHeaders().set("Set-Cookie", sessions.cookie(session));
    HttpApi.respond(exchange, 204, "text/plain", "");
  }

  private void state(HttpExchange exchange) throws IOException {
    var local = daemon.device().local();
    ObjectNode state = json.createObjectNode();
    state.put("registered", local.isRegistered());
    state.put("phone", local.phone());
    state.put("deviceId", local.deviceId());
    state.put("deviceName", local.name());
    state.put("primary", local.isPrimary());
    state.put("unlinked", local.unlinkedReason());
    state.put("unlinkedAt", local.unlinkedAt());
    state.put("lastEventId", daemon.device().events().lastId());
    var receiving = daemon.device().receivingState();
    state.put("connection", receiving == null ? "stopped" : receiving.name());
    state.set("link", json.valueToTree(link.status()));
    page(exchange, 200, "application/json", json.writeValueAsBytes(state));
  }

  private void startLink(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      HttpApi.respond(exchange, 405, "text/plain", "POST to start linking\n");
      return;
    }
    byte[] body = HttpApi.body(exchange);
    if (body == null) {
      return;
    }
    var request = body.length == 0 ? json.createObjectNode() : json.readTree(body);
    String name = request.path("name").asText("web");
    try {
      page(exchange, 200, "application/json", json.writeValueAsBytes(link.start(name, request.path("code").asBoolean(false))));
    } catch (RuntimeException e) {
      ObjectNode error = json.createObjectNode().put("error", e.getMessage());
      page(exchange, 409, "application/json", json.writeValueAsBytes(error));
    }
  }

  private void qr(HttpExchange exchange) throws IOException {
    LinkFlow.Status status = link.status();
    if (status.uri() == null) {
      HttpApi.respond(exchange, 404, "text/plain", "no QR code to show: start linking first\n");
      return;
    }
    page(exchange, 200, "image/png", QrCodes.png(status.uri()));
  }

  private void file(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
      HttpApi.respond(exchange, 405, "text/plain", "only GET here\n");
      return;
    }
    String name = path.equals("/") ? "index.html" : path.substring(1);
    // Only flat names of our own files: no directories, so no way out of the resource folder.
    if (!name.matches("[a-z0-9-]+\\.(html|js|css|svg|png|json)")) {
      HttpApi.respond(exchange, 404, "text/plain", "no such file\n");
      return;
    }
    try (InputStream in = WebCompanion.class.getResourceAsStream(ROOT + name)) {
      if (in == null) {
        HttpApi.respond(exchange, 404, "text/plain", "no such file\n");
        return;
      }
      String extension = name.substring(name.lastIndexOf('.') + 1);
      page(exchange, 200, TYPES.get(extension), in.readAllBytes());
    }
  }

  /** Answers with the page's security headers. */
  private static void page(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    var headers = exchange.getResponseHeaders();
    headers.set("Content-Type", type.startsWith("image/") ? type : type + "; charset=utf-8");
    headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("Cross-Origin-Opener-Policy", "same-origin");
    headers.set("Cross-Origin-Resource-Policy", "same-origin");
    headers.set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      exchange.getResponseBody().write(body);
    }
    exchange.close();
  }
}
