package org.parley.server.devices;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Status;
import org.parley.server.cluster.NodeBus;
import org.parley.server.limits.Throttle;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The companions waiting to be linked, by provisioning address, wherever they wait: on this node,
 * or on another one, reached through the {@link NodeBus} (the primary may be connected to any
 * node). What the primary's node hands over is a push for the socket (the provisioning message, a
 * refusal) or the link token the companion will present to its own node.
 */
final class ProvisioningSockets {
  private static final Logger log = LoggerFactory.getLogger(ProvisioningSockets.class);
  private static final long BUS_TIMEOUT_SECONDS = 3;
  /** The wait told when a link step is refused for now: the bus or the companion may be back by then. */
  private static final Duration RETRY = Duration.ofSeconds(5);
  private static final byte PUSH = 'P';
  private static final byte TOKEN = 'T';

  /** A link token handed to the node where its companion waits. */
  record Token(String token, UUID account, int deviceId, String address, long expiresAt) {}

  private final NodeBus bus;
  private final Consumer<Token> tokens;
  private final Map<String, Session> sockets = new ConcurrentHashMap<>();

  /** @param tokens told every token issued elsewhere for a socket held here */
  ProvisioningSockets(NodeBus bus, Consumer<Token> tokens) {
    this.bus = bus;
    this.tokens = tokens;
  }

  /** Holds the socket at {@code address}; {@code ready} runs once notices from other nodes reach it. */
  void open(String address, Session session, Runnable ready) {
    sockets.put(address, session);
    bus.listenProvisioning(address, notice -> session.channel().eventLoop().execute(() -> heard(address, session, notice)))
        .whenComplete((ok, failure) -> {
          if (failure != null) {
            // Linking still works with a primary on this node; the bus's reconnection subscribes again.
            log.warn("cannot hear other nodes for a provisioning socket: {}", failure.getMessage());
          }
          ready.run();
        });
  }

  void close(String address, Session session) {
    if (sockets.remove(address, session)) {
      bus.stopListeningProvisioning(address);
    }
  }

  /** Fails unless a companion waits at {@code address}, here or on another node. */
  void checkWaiting(String address) throws ApiException {
    if (!sockets.containsKey(address) && !await(bus.provisioningWaits(address))) {
      throw notWaiting();
    }
  }

  /** Pushes to the companion at {@code address}. */
  void push(String address, Push push) throws ApiException {
    Session socket = sockets.get(address);
    if (socket != null) {
      pushIfReading(socket, push);
      return;
    }
    byte[] notice = push.toByteArray();
    if (!await(bus.provisioning(address, tagged(PUSH, notice)))) {
      throw notWaiting();
    }
  }

  /** Makes a token usable on the node where its companion waits (this one, or another). */
  void hand(Token token) throws ApiException {
    if (sockets.containsKey(token.address())) {
      tokens.accept(token);
      return;
    }
    String text = token.token() + " " + token.account() + " " + token.deviceId() + " " + token.expiresAt();
    if (!await(bus.provisioning(token.address(), tagged(TOKEN, text.getBytes(StandardCharsets.UTF_8))))) {
      throw notWaiting();
    }
  }

  private void heard(String address, Session session, byte[] notice) {
    if (notice.length == 0 || sockets.get(address) != session) {
      return;
    }
    byte[] body = Arrays.copyOfRange(notice, 1, notice.length);
    try {
      switch (notice[0]) {
        case PUSH -> {
          // Not held for a companion that does not read: the primary's node was told "sent", as
          // it would have been a moment before the socket filled up.
          if (session.channel().isWritable()) {
            session.push(Push.parseFrom(body));
          }
        }
        case TOKEN -> {
          String[] parts = new String(body, StandardCharsets.UTF_8).split(" ");
          tokens.accept(
              new Token(parts[0], UUID.fromString(parts[1]), Integer.parseInt(parts[2]), address, Long.parseLong(parts[3])));
        }
        default -> log.warn("ignoring a provisioning notice of unknown kind {}", notice[0]);
      }
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      log.warn("ignoring a malformed provisioning notice: {}", e.getMessage());
    }
  }

  private static void pushIfReading(Session socket, Push push) throws ApiException {
    if (!socket.channel().isWritable()) {
      // The companion is not reading what it was sent: nothing more is held for it.
      throw Throttle.refusal(
          "provisioning messages for a device that is not reading them", RETRY);
    }
    socket.push(push);
  }

  private static byte[] tagged(byte kind, byte[] body) {
    byte[] notice = new byte[body.length + 1];
    notice[0] = kind;
    System.arraycopy(body, 0, notice, 1, body.length);
    return notice;
  }

  private static boolean await(CompletableFuture<Boolean> answer) throws ApiException {
    try {
      return answer.get(BUS_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("cannot reach the other nodes for a link: {}", e.getMessage());
      throw Throttle.refusal(
          Status.UNAVAILABLE, "the server cannot reach its other nodes right now", RETRY);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Throttle.refusal(
          Status.UNAVAILABLE, "the server is stopping", RETRY);
    }
  }

  static ApiException notWaiting() {
    return new ApiException(
        Status.NOT_FOUND,
        "no device is waiting at that provisioning address; the QR code expired or was never"
            + " shown by this server; run 'parley link' again for a fresh one");
  }
}
