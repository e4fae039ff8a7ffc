package org.parley.cli.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import org.parley.cli.commands.Caller;
import org.parley.cli.commands.Handler;
import org.parley.cli.rpc.JsonRpc;
import org.parley.cli.rpc.Methods;
import org.parley.cli.rpc.RpcException;
import org.parley.cli.rpc.RpcSession;
import org.parley.client.Receiving;
import org.parley.client.events.EventJson;
import org.parley.client.events.LoggedEvent;

/**
 * The daemon's HTTP API (README.md, daemon): {@code POST /api/v1/rpc} (a JSON-RPC request or batch),
 * {@code GET /api/v1/events} (the event log as server-sent events, from {@code Last-Event-ID} or
 * {@code ?since=}, then live), {@code GET /api/v1/check} (alive, and whether it is connected).
 */
final class ApiRoutes {
  /** SSE streams open at once, at most. */
  static final int MAX_STREAMS = 32;
  /** A comment line this often keeps proxies from closing a quiet stream and finds dead clients. */
  static final Duration HEARTBEAT = Duration.ofSeconds(15);

  private final JsonRpc rpc;
  private final Profiles profiles;
  private final EventJson events = new EventJson();
  private final Semaphore streams = new Semaphore(MAX_STREAMS);

  ApiRoutes(JsonRpc rpc, Profiles profiles) {
    this.rpc = rpc;
    this.profiles = profiles;
  }

  void mountOn(HttpApi http) {
    http.mount("/api/v1/rpc", http.apiGuard(), this::rpc);
    http.mount("/api/v1/events", http.apiGuard(), this::events);
    http.mount("/api/v1/check", HttpApi.Guard.OPEN, this::check);
  }

  private void rpc(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("POST")) {
      exchange.getResponseHeaders().set("Allow", "POST");
      HttpApi.respond(exchange, 405, "text/plain", "POST a JSON-RPC request\n");
      return;
    }
    byte[] body = HttpApi.body(exchange);
    if (body == null) {
      return;
    }
    String response = rpc.handle(new String(body, StandardCharsets.UTF_8), new HttpSession());
    if (response == null) {
      HttpApi.respond(exchange, 204, "application/json", "");
    } else {
      HttpApi.respond(exchange, 200, "application/json", response);
    }
  }

  /** An HTTP request's side of the JSON-RPC layer: no notifications, no subscriptions (that is SSE). */
  private final class HttpSession implements RpcSession {
    @Override
    public <P, R> R run(Handler<P, R> handler, P params, String account, Caller caller) {
      return profiles.host(account).run(handler, params, caller);
    }

    @Override
    public Caller caller(JsonNode id, String account) {
      return Caller.NONE;
    }
  }

  private void events(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("GET")) {
      exchange.getResponseHeaders().set("Allow", "GET");
      HttpApi.respond(exchange, 405, "text/plain", "GET the event stream\n");
      return;
    }
    Map<String, String> query = query(exchange.getRequestURI());
    DeviceHost host;
    long since;
    try {
      host = profiles.host(query.get("account"));
      String last = exchange.getRequestHeaders().getFirst("Last-Event-ID");
      String from = last != null ? last : query.get("since");
      since = from == null ? host.feed().log().lastId() : Long.parseLong(from.strip());
      if (since < 0) {
        throw new NumberFormatException();
      }
    } catch (RpcException e) {
      HttpApi.respond(exchange, 400, "text/plain", e.getMessage() + "\n");
      return;
    } catch (NumberFormatException e) {
      HttpApi.respond(exchange, 400, "text/plain", "Last-Event-ID and since are eventIds (whole numbers)\n");
      return;
    }
    if (!streams.tryAcquire()) {
      exchange.getResponseHeaders().set("Retry-After", "5");
      HttpApi.respond(exchange, 503, "text/plain", "at most " + MAX_STREAMS + " event streams at once\n");
      return;
    }
    try {
      stream(exchange, host, since);
    } finally {
      streams.release();
    }
  }

  /** Writes every event after {@code since}, then each new one, until the client goes away. */
  private void stream(HttpExchange exchange, DeviceHost host, long since) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.sendResponseHeaders(200, 0);
    String account = profiles.multi() ? host.phone() : null;
    long cursor = since;
    try (OutputStream out = exchange.getResponseBody()) {
      // Tells the browser how long to wait before it reconnects (with Last-Event-ID) by itself.
      out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
      if (host.feed().log().forgottenAfter(since)) {
        // Some of what the client asked for is no longer kept (older than --keep-events): it is told
        // so, then gets what is kept. No id: its Last-Event-ID stays where it was.
        ObjectNode gap = rpc.mapper().createObjectNode();
        gap.put("since", since);
        gap.put("oldestKept", host.feed().log().firstId());
        out.write(("event: forgotten\ndata: " + rpc.write(gap) + "\n\n").getBytes(StandardCharsets.UTF_8));
      }
      out.flush();
      while (true) {
        List<LoggedEvent> batch = host.feed().after(cursor, HEARTBEAT);
        if (batch.isEmpty()) {
          out.write(": still here\n\n".getBytes(StandardCharsets.UTF_8));
        }
        for (LoggedEvent event : batch) {
          ObjectNode object = events.toJson(event);
          if (account != null) {
            object.put("account", account);
          }
          String frame = "id: " + event.eventId() + "\nevent: receive\ndata: " + rpc.write(object) + "\n\n";
          out.write(frame.getBytes(StandardCharsets.UTF_8));
          cursor = event.eventId();
        }
        out.flush();
      }
    } catch (IOException e) {
      // the client went away; it comes back with Last-Event-ID
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void check(HttpExchange exchange) throws IOException {
    ObjectNode status = rpc.mapper().createObjectNode();
    status.put("status", "ok");
    status.put("version", Methods.VERSION);
    ArrayNode devices = status.putArray("profiles");
    for (DeviceHost host : profiles.all()) {
      Receiving.State state = host.device().receivingState();
      ObjectNode one = devices.addObject();
      one.put("receiving", state == null ? "stopped" : state.name());
      if (state != null && state.reason() != null) {
        one.put("reason", state.reason());
      }
    }
    HttpApi.respond(exchange, 200, "application/json", rpc.write(status));
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new HashMap<>();
    String raw = uri.getRawQuery();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }
}
