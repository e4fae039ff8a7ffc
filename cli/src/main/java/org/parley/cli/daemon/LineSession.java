package org.parley.cli.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.parley.cli.commands.Caller;
import org.parley.cli.commands.Handler;
import org.parley.cli.rpc.JsonRpc;
import org.parley.cli.rpc.RpcError;
import org.parley.cli.rpc.RpcException;
import org.parley.cli.rpc.RpcSession;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.EventJson;
import org.parley.client.events.LoggedEvent;

/**
 * One client on the UNIX socket or TCP: JSON-RPC, one object (or batch) per line each way. Calls on
 * one connection are answered in order; events come as {@code receive} notifications, from a call
 * that hands them on ({@code "call": id}) or from a subscription ({@code "subscription": n}). A line
 * that is not a request gets an error object and the connection goes on; a line longer than the
 * limit is skipped with an error.
 *
 * <p>On TCP the first call must be {@code auth} with the daemon's token; the UNIX socket is
 * authorized by its file permissions and by the peer's user.
 */
final class LineSession implements RpcSession, Runnable {
  static final int MAX_LINE = 1 << 20;
  static final int MAX_SUBSCRIPTIONS = 8;

  private final InputStream in;
  private final OutputStream out;
  private final Runnable close;
  private final JsonRpc rpc;
  private final Profiles profiles;
  private final Token token;
  private final DeviceHost own;
  private final EventJson events = new EventJson();
  private final Map<Integer, Thread> subscriptions = new ConcurrentHashMap<>();
  private final AtomicInteger nextSubscription = new AtomicInteger();
  private final java.util.Queue<Thread> toStart = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private volatile boolean authorized;
  private volatile boolean open = true;

  /**
   * @param token the token a client must give first, or {@code null} when the transport vouches for it
   * @param own the profile a call without {@code account} is for (a profile's control socket), or
   *     {@code null}
   */
  LineSession(
      InputStream in, OutputStream out, Runnable close, JsonRpc rpc, Profiles profiles, Token token, DeviceHost own) {
    this.in = in;
    this.out = out;
    this.close = close;
    this.rpc = rpc;
    this.profiles = profiles;
    this.token = token;
    this.own = own;
    this.authorized = token == null;
  }

  @Override
  public void run() {
    try {
      for (String line = readLine(); line != null; line = readLine()) {
        if (line.isBlank()) {
          continue;
        }
        String response =
            line == TOO_LONG
                ? rpc.write(rpc.error(null, RpcError.of(RpcError.INVALID_REQUEST, "a request is at most " + MAX_LINE + " bytes")))
                : rpc.handle(line, this);
        if (response != null) {
          write(response);
        }
        // A subscription's first notification comes after the answer that names it.
        for (Thread follower = toStart.poll(); follower != null; follower = toStart.poll()) {
          follower.start();
        }
      }
    } catch (IOException e) {
      // the client went away
    } finally {
      open = false;
      // Followers notice at once; never interrupt them: an interrupted channel write closes the channel.
      profiles.all().forEach(h -> h.feed().wakeAll());
      close.run();
    }
  }

  private static final String TOO_LONG = new String("too long");

  /** The next line without its end, {@link #TOO_LONG} if it was over the limit, {@code null} at the end. */
  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    boolean tooLong = false;
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        return tooLong ? TOO_LONG : line.toString(StandardCharsets.UTF_8);
      }
      if (line.size() >= MAX_LINE) {
        tooLong = true;
        line.reset();
      }
      line.write(b);
    }
    return line.size() == 0 && !tooLong ? null : tooLong ? TOO_LONG : line.toString(StandardCharsets.UTF_8);
  }

  private void write(String line) throws IOException {
    synchronized (out) {
      out.write(line.getBytes(StandardCharsets.UTF_8));
      out.write('\n');
      out.flush();
    }
  }

  private void notify(ObjectNode params) {
    try {
      write(rpc.write(rpc.notification("receive", params)));
    } catch (IOException e) {
      open = false;
      throw new IllegalStateException("the client went away", e);
    }
  }

  @Override
  public void authorize(String method) {
    if (!authorized && !method.equals("auth")) {
      throw new RpcException(
          RpcError.UNAUTHORIZED, "give the daemon's token first: {\"method\":\"auth\",\"params\":{\"token\":...}}");
    }
  }

  @Override
  public <P, R> R run(Handler<P, R> handler, P params, String account, Caller caller) {
    return host(account).run(handler, params, caller);
  }

  @Override
  public Caller caller(JsonNode id, String account) {
    return new Caller() {
      @Override
      public void event(LoggedEvent event) {
        LineSession.this.notify(params(events.toJson(event), false));
      }

      @Override
      public void live(ClientEvent event) {
        LineSession.this.notify(params(events.toJson(event), true));
      }

      @Override
      public boolean owner() {
        return ownerAtTheKeyboard();
      }

      private ObjectNode params(ObjectNode event, boolean live) {
        ObjectNode params = rpc.mapper().createObjectNode();
        params.set("call", id);
        if (live) {
          params.put("live", true);
        }
        params.set("result", event);
        return params;
      }
    };
  }

  private DeviceHost host(String account) {
    return account == null && own != null ? own : profiles.host(account);
  }

  /**
   * A subscription. {@code forgotten}: some events after {@code since} are no longer kept (older
   * than {@code --keep-events}); the stream goes on from the oldest kept.
   */
  public record Subscribed(int subscription, long since, boolean forgotten) {}

  record AuthParams(String token) {}

  record SubscribeParams(Long since) {}

  record UnsubscribeParams(Integer subscription) {}

  @Override
  public Object own(String method, ObjectNode params, String account) {
    return switch (method) {
      case "auth" -> {
        AuthParams auth = rpc.params(params, AuthParams.class);
        if (token == null || token.matches(auth.token())) {
          authorized = true;
          yield Map.of("authorized", true);
        }
        throw new RpcException(RpcError.UNAUTHORIZED, "that is not the daemon's token ('parley daemon --print-token')");
      }
      case "webLogin" -> webLogin();
      case "subscribeReceive" -> subscribe(rpc.params(params, SubscribeParams.class), account);
      case "unsubscribeReceive" -> {
        UnsubscribeParams which = rpc.params(params, UnsubscribeParams.class);
        Thread subscription = which.subscription() == null ? null : subscriptions.remove(which.subscription());
        if (subscription == null) {
          throw new IllegalArgumentException("no subscription " + which.subscription() + " on this connection");
        }
        profiles.all().forEach(h -> h.feed().wakeAll());
        yield true;
      }
      default -> NOT_MINE;
    };
  }

  /**
   * Whether this connection is the profile's own control socket: only its owner can connect there
   * (mode 0600 and the peer's user checked). Not TCP (a token), not the extra socket of several profiles.
   */
  private boolean ownerAtTheKeyboard() {
    return own != null && token == null;
  }

  /**
   * A one-time page login, only on a profile's control socket: its owner alone can connect there
   * (mode 0600 and the peer's user checked), the same proof every command run on the profile gives.
   * Never on TCP or the extra socket: a token for the API is not the profile's owner at the keyboard.
   */
  private Daemon.WebLogin webLogin() {
    if (!ownerAtTheKeyboard()) {
      throw new RpcException(RpcError.REFUSED, "webLogin is answered only on the profile's own control socket");
    }
    java.util.function.Supplier<String> login = own.webLogin();
    if (login == null) {
      throw new RpcException(
          RpcError.REFUSED,
          "the daemon holding this profile serves no page: restart it with '--http 127.0.0.1:7380', or stop it and run 'parley web'");
    }
    return new Daemon.WebLogin(login.get());
  }

  /**
   * Streams the profile's events after {@code since} (default: from now) as notifications until
   * unsubscribed or the connection ends; each event exactly once, in order.
   */
  private Subscribed subscribe(SubscribeParams params, String account) {
    DeviceHost host = host(account);
    if (subscriptions.size() >= MAX_SUBSCRIPTIONS) {
      throw new RpcException(RpcError.REFUSED, "at most " + MAX_SUBSCRIPTIONS + " subscriptions on one connection");
    }
    if (params.since() != null && params.since() < 0) {
      throw new IllegalArgumentException("since must be an eventId (0: from the oldest kept)");
    }
    long since = params.since() != null ? params.since() : host.feed().log().lastId();
    int id = nextSubscription.incrementAndGet();
    String phone = profiles.multi() ? host.phone() : null;
    Thread follower =
        Thread.ofVirtual().name("parley-subscription-" + id).unstarted(() -> follow(host, id, since, phone));
    subscriptions.put(id, follower);
    toStart.add(follower);
    return new Subscribed(id, since, host.feed().log().forgottenAfter(since));
  }

  private void follow(DeviceHost host, int id, long since, String phone) {
    long cursor = since;
    try {
      while (open && subscriptions.containsKey(id)) {
        List<LoggedEvent> batch = host.feed().after(cursor, Duration.ofSeconds(30));
        for (LoggedEvent event : batch) {
          ObjectNode params = rpc.mapper().createObjectNode();
          params.put("subscription", id);
          if (phone != null) {
            params.put("account", phone);
          }
          params.set("result", events.toJson(event));
          notify(params);
          cursor = event.eventId();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IllegalStateException e) {
      // the client went away
    } finally {
      subscriptions.remove(id);
    }
  }
}
