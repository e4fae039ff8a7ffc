package org.parley.client.net;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.parley.client.ClientException;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/**
 * One WebSocket to the server: requests matched to responses by id, pushes handed to a listener.
 * Pushes are delivered one at a time on the socket's reader thread, in the order they arrived.
 */
public final class ServerConnection implements AutoCloseable {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(30);
  /** The code of a {@link ClientException} saying the server could not be reached at all. */
  public static final String UNREACHABLE = "UNREACHABLE";

  private volatile WebSocket socket;
  private HttpClient http;
  private final Map<Long, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private final Object sendLock = new Object();
  private CompletableFuture<WebSocket> lastSend = CompletableFuture.completedFuture(null);
  private volatile Consumer<Push> pushes = push -> {};
  private volatile long lastHeard = System.nanoTime();
  private volatile CompletableFuture<Void> pong;

  private ServerConnection(Consumer<Push> pushes) {
    this.pushes = pushes;
  }

  /** Where and as whom to connect. */
  public record Target(String serverUrl, String path, String authorization, SSLContext ssl) {
    /**
     * @param deliver whether the server should push this device's queue on this connection; a
     *     connection made only to send leaves the queue for the device's receiving connection
     */
    public static Target device(
        String serverUrl, String account, int device, byte[] secret, SSLContext ssl, boolean deliver) {
      String credentials =
          account + "." + device + ":" + Base64.getEncoder().encodeToString(secret);
      return new Target(
          serverUrl,
          deliver ? "/v1/websocket" : "/v1/websocket?deliver=false",
          "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)),
          ssl);
    }

    public static Target anonymous(String serverUrl, SSLContext ssl) {
      return new Target(serverUrl, "/v1/websocket", null, ssl);
    }

    public static Target provisioning(String serverUrl, SSLContext ssl) {
      return new Target(serverUrl, "/v1/provisioning", null, ssl);
    }
  }

  /**
   * Connects to the first node of the target's address list that answers (see {@link ServerUrls}).
   * A node that refuses this device's credentials speaks for the whole server: no other is tried.
   */
  public static ServerConnection open(Target target, Consumer<Push> pushes) {
    List<String> urls = ServerUrls.split(target.serverUrl());
    if (urls.size() <= 1) {
      return open(target, target.serverUrl(), pushes);
    }
    List<String> failures = new ArrayList<>();
    for (String url : urls) {
      try {
        return open(target, url, pushes);
      } catch (ClientException e) {
        if ("UNAUTHENTICATED".equals(e.code())) {
          throw e;
        }
        failures.add(e.getMessage());
      }
    }
    throw new ClientException(UNREACHABLE, "no server node answered: " + String.join("; ", failures), null);
  }

  private static ServerConnection open(Target target, String url, Consumer<Push> pushes) {
    HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (target.ssl() != null) {
      http.sslContext(target.ssl());
    } else if (target.serverUrl().startsWith("ws://")) {
      http.sslContext(Trust.plaintextOnly()).sslParameters(new SSLParameters());
    }
    ServerConnection connection = new ServerConnection(pushes);
    Reader reader = new Reader(connection);
    connection.http = http.build();
    WebSocket.Builder builder = connection.http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    if (target.authorization() != null) {
      builder.header("Authorization", target.authorization());
    }
    URI uri;
    try {
      uri = URI.create(stripSlash(url) + target.path());
    } catch (IllegalArgumentException e) {
      connection.http.shutdownNow();
      throw new ClientException("'" + url + "' is not a server address; use ws://HOST:PORT or wss://HOST:PORT");
    }
    try {
      // Bounded: the connect timeout covers TCP only, not a server that never answers the upgrade.
      connection.socket = builder.buildAsync(uri, reader).get(OPEN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      // The server says nothing until we have spoken (see Ack in wire.proto): say hello.
      connection.sendOneWay(Request.newBuilder().setAck(org.parley.protocol.wire.Ack.getDefaultInstance()));
    } catch (java.util.concurrent.ExecutionException e) {
      connection.http.shutdownNow();
      throw connectFailure(url, e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      connection.http.shutdownNow();
      throw new ClientException(
          UNREACHABLE,
          "the server at " + url + " accepted the connection but did not answer within "
              + OPEN_TIMEOUT.toSeconds() + " s; try again",
          null);
    } catch (InterruptedException e) {
      connection.http.shutdownNow();
      Thread.currentThread().interrupt();
      throw new ClientException("interrupted while connecting to " + url);
    } catch (IllegalArgumentException e) {
      connection.http.shutdownNow();
      throw new ClientException("'" + url + "' is not a server address; use ws://HOST:PORT or wss://HOST:PORT");
    }
    return connection;
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static ClientException connectFailure(String url, Throwable cause) {
    if (cause instanceof WebSocketHandshakeException handshake) {
      int status = handshake.getResponse().statusCode();
      Object body = handshake.getResponse().body();
      String detail = body instanceof String text && !text.isBlank() ? ": " + text.strip() : "";
      if (status == 401) {
        return new ClientException(
            "UNAUTHENTICATED",
            "the server at " + url + " does not accept this device's credentials" + detail
                + "; register or link this profile again",
            cause);
      }
      return new ClientException(
          "the server at " + url + " refused the connection (HTTP " + status + ")" + detail, cause);
    }
    return new ClientException(
        UNREACHABLE,
        "cannot connect to " + url + " (" + cause.getMessage() + "); is 'parley server' running there?",
        cause);
  }

  public void onPush(Consumer<Push> listener) {
    this.pushes = listener;
  }

  /** Sends a request; the future fails with {@link ServerException} if the server refuses it. */
  public CompletableFuture<Response> request(Request.Builder request) {
    long id = ids.incrementAndGet();
    CompletableFuture<Response> answer = new CompletableFuture<>();
    pending.put(id, answer);
    send(Frame.newBuilder().setRequest(request.setId(id)).build())
        .exceptionally(
            failure -> {
              fail(
                  id,
                  new ClientException(
                      UNREACHABLE, "the connection to the server broke: " + failure.getMessage(), failure));
              return null;
            });
    return answer
        .orTimeout(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
        .whenComplete((r, e) -> pending.remove(id))
        .thenApply(
            response -> {
              if (response.getStatus() != Status.OK) {
                throw new ServerException(response);
              }
              return response;
            });
  }

  /** Sends a request and waits for its answer; refusals surface as {@link ServerException}. */
  public Response call(Request.Builder request) {
    return await(request(request));
  }

  /** Waits for the answer to {@link #request}; refusals surface as {@link ServerException}, as from {@link #call}. */
  public static Response await(CompletableFuture<Response> answer) {
    try {
      return answer.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof ClientException client) {
        throw client;
      }
      if (e.getCause() instanceof java.util.concurrent.TimeoutException) {
        throw new ClientException(
            UNREACHABLE, "the server did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s", null);
      }
      throw new ClientException("request failed: " + e.getCause(), e.getCause());
    }
  }

  /** Sends without waiting for (or expecting) an answer: acks. */
  public CompletableFuture<WebSocket> sendOneWay(Request.Builder request) {
    return send(Frame.newBuilder().setRequest(request.setId(ids.incrementAndGet())).build());
  }

  /** The JDK socket takes one outgoing message at a time, so sends are chained. */
  private CompletableFuture<WebSocket> send(Frame frame) {
    ByteBuffer bytes = ByteBuffer.wrap(frame.toByteArray());
    synchronized (sendLock) {
      lastSend = lastSend.handle((ok, failure) -> null).thenCompose(ignored -> socket.sendBinary(bytes, true));
      return lastSend;
    }
  }

  /**
   * Asks the server for a pong (a WebSocket ping, answered by any server): the way a device that
   * receives all the time finds a connection that died without a word (a half-open socket, a NAT
   * that forgot it). Completes when the pong, or anything else, arrives.
   */
  public CompletableFuture<Void> ping() {
    CompletableFuture<Void> answer = new CompletableFuture<>();
    pong = answer;
    synchronized (sendLock) {
      lastSend =
          lastSend.handle((ok, failure) -> null)
              .thenCompose(ignored -> socket.sendPing(ByteBuffer.wrap(new byte[] {'p'})));
    }
    return answer;
  }

  /** How long ago the server last sent anything (a frame or a pong). */
  public java.time.Duration silence() {
    return java.time.Duration.ofNanos(System.nanoTime() - lastHeard);
  }

  private void heard() {
    lastHeard = System.nanoTime();
    CompletableFuture<Void> waiting = pong;
    if (waiting != null) {
      waiting.complete(null);
    }
  }

  /** Completes with the reason once the socket has closed, from either side. */
  public CompletableFuture<String> closed() {
    return closed;
  }

  public boolean isOpen() {
    return !closed.isDone();
  }

  private void fail(long id, Throwable failure) {
    CompletableFuture<Response> answer = pending.remove(id);
    if (answer != null) {
      answer.completeExceptionally(failure);
    }
  }

  private void onFrame(Frame frame) {
    switch (frame.getKindCase()) {
      case RESPONSE -> {
        Response response = frame.getResponse();
        CompletableFuture<Response> answer = pending.remove(response.getId());
        if (answer != null) {
          answer.complete(response);
        }
      }
      case PUSH -> pushes.accept(frame.getPush());
      default -> {}
    }
  }

  private void onClosed(String reason) {
    if (closed.complete(reason)) {
      ClientException failure =
          new ClientException(UNREACHABLE, "the connection to the server closed: " + reason, null);
      pending.values().forEach(answer -> answer.completeExceptionally(failure));
      pending.clear();
    }
  }

  /** Drops the socket at once: no close handshake, nothing more sent (a crash). */
  public void abort() {
    socket.abort();
    onClosed("aborted");
    http.shutdownNow();
  }

  @Override
  public void close() {
    synchronized (sendLock) {
      lastSend
          .handle((ok, failure) -> null)
          .thenCompose(ignored -> socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye"))
          .orTimeout(5, TimeUnit.SECONDS)
          .exceptionally(failure -> null)
          .join();
    }
    try {
      closed.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      socket.abort();
    }
    onClosed("closed by this device");
    // Each connection has its own client; its selector thread would otherwise outlive it.
    http.shutdownNow();
  }

  /**
   * Reassembles messages split into parts and parses them as frames. It may be called before
   * {@code buildAsync} has returned, so it must never wait for that.
   */
  private static final class Reader implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final ServerConnection owner;

    Reader(ServerConnection owner) {
      this.owner = owner;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      owner.socket = webSocket;
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      owner.heard();
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      partial.writeBytes(chunk);
      if (last) {
        byte[] message = partial.toByteArray();
        partial.reset();
        try {
          owner.onFrame(Frame.parseFrom(message));
        } catch (InvalidProtocolBufferException e) {
          // The server only sends frames; a broken one is dropped rather than killing the socket.
        } catch (RuntimeException e) {
          org.slf4j.LoggerFactory.getLogger(ServerConnection.class).warn("push handler failed", e);
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      owner.heard();
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      owner.onClosed(statusCode + (reason.isEmpty() ? "" : " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      owner.onClosed(String.valueOf(error.getMessage()));
    }
  }
}
