package org.parley.server.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;

/**
 * A WebSocket client that speaks the wire protocol by hand, so a test can also misbehave: send
 * garbage, text, oversize or fragmented messages, and see exactly what the server answers. Unlike
 * the real client it never turns a refusal into an exception: every {@link Response} comes back as
 * it arrived.
 */
public final class RawClient implements AutoCloseable {
  /**
   * How long any wait for the server lasts before the test fails. CI runs several suites side by
   * side on two cores, where a relay may take seconds to answer; this only decides how long a
   * failing test waits, never what it proves.
   */
  public static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** How the socket ended: the peer's close status, or -1 when it broke without one. */
  public record Closed(int status, String reason) {}

  /** The server answered the upgrade with an HTTP error instead of switching protocols. */
  public static final class UpgradeRefused extends RuntimeException {
    private final int status;

    UpgradeRefused(int status, String body) {
      super("upgrade refused with HTTP " + status + ": " + body);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final HttpClient http;
  private final WebSocket socket;
  private final Inbox inbox;
  private final AtomicLong ids = new AtomicLong();
  private final Object sendLock = new Object();
  private CompletableFuture<WebSocket> lastSend = CompletableFuture.completedFuture(null);

  private RawClient(HttpClient http, WebSocket socket, Inbox inbox) {
    this.http = http;
    this.socket = socket;
    this.inbox = inbox;
  }

  public static RawClient anonymous(String serverUrl) {
    return connect(serverUrl, "/v1/websocket", null);
  }

  public static RawClient device(String serverUrl, UUID account, int deviceId, byte[] secret) {
    return connect(serverUrl, "/v1/websocket", authorization(account, deviceId, secret));
  }

  public static RawClient provisioning(String serverUrl) {
    return connect(serverUrl, "/v1/provisioning", null);
  }

  /** The {@code Authorization} header value a device shows at the upgrade. */
  public static String authorization(UUID account, int deviceId, byte[] secret) {
    String credentials = account + "." + deviceId + ":" + Base64.getEncoder().encodeToString(secret);
    return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Opens a WebSocket on {@code path}, with the given {@code Authorization} header unless null.
   *
   * @throws UpgradeRefused when the server answers the upgrade with an HTTP error
   */
  public static RawClient connect(String serverUrl, String path, String authorization) {
    return connect(serverUrl, path, authorization, TIMEOUT);
  }

  /** As {@link #device(String, UUID, int, byte[])}, waiting up to {@code timeout} to connect (a server under load). */
  public static RawClient device(String serverUrl, UUID account, int deviceId, byte[] secret, Duration timeout) {
    return connect(serverUrl, "/v1/websocket", authorization(account, deviceId, secret), timeout);
  }

  /** As {@link #connect(String, String, String)}, waiting up to {@code timeout} for the connection and upgrade. */
  public static RawClient connect(String serverUrl, String path, String authorization, Duration timeout) {
    RawClient client = silent(serverUrl, path, authorization, timeout);
    // The server pushes nothing before the client's first frame: say hello, as every client does.
    client.hello();
    return client;
  }

  /**
   * As {@link #connect(String, String, String, Duration)} but without the hello: the socket is open
   * and the client says nothing, as one that stalls right after the upgrade. {@link #hello} speaks.
   */
  public static RawClient silent(String serverUrl, String path, String authorization, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
    Inbox inbox = new Inbox();
    WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(timeout);
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    try {
      WebSocket socket = builder.buildAsync(URI.create(serverUrl + path), inbox).join();
      return new RawClient(http, socket, inbox);
    } catch (CompletionException e) {
      http.shutdownNow();
      if (e.getCause() instanceof WebSocketHandshakeException refused) {
        throw new UpgradeRefused(
            refused.getResponse().statusCode(), String.valueOf(refused.getResponse().body()));
      }
      throw e;
    }
  }

  /** The empty ack every client sends first: until it, the server holds its pushes. */
  public void hello() {
    send(Request.newBuilder().setAck(org.parley.protocol.wire.Ack.getDefaultInstance()));
  }

  /** Sends a request under a fresh id and waits for the response with that id. */
  public Response call(Request.Builder request) {
    return response(send(request));
  }

  /** As {@link #call(Request.Builder)}, waiting up to {@code timeout} (a first request that loads native code). */
  public Response call(Request.Builder request, Duration timeout) {
    long id = send(request);
    try {
      Response response = inbox.responses(id).poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (response == null) {
        throw new AssertionError("no response with id " + id + " arrived within " + timeout);
      }
      return response;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Sends a request under a fresh id, which it returns, without waiting for the answer. */
  public long send(Request.Builder request) {
    long id = ids.incrementAndGet();
    sendBinary(Frame.newBuilder().setRequest(request.setId(id)).build().toByteArray());
    return id;
  }

  /** Sends any bytes as one binary WebSocket message. */
  public void sendBinary(byte[] message) {
    enqueue(() -> socket.sendBinary(ByteBuffer.wrap(message), true));
  }

  /** Sends one binary message split into the given parts (continuation frames). */
  public void sendFragmented(byte[]... parts) {
    for (int i = 0; i < parts.length; i++) {
      ByteBuffer part = ByteBuffer.wrap(parts[i]);
      boolean last = i == parts.length - 1;
      enqueue(() -> socket.sendBinary(part, last));
    }
  }

  public void sendText(String text) {
    enqueue(() -> socket.sendText(text, true));
  }

  /** The JDK socket takes one outgoing message at a time, so sends are chained. */
  private void enqueue(java.util.function.Supplier<CompletableFuture<WebSocket>> send) {
    synchronized (sendLock) {
      lastSend = lastSend.handle((ok, failure) -> null).thenCompose(ignored -> send.get());
    }
  }

  /**
   * Waits for the next response carrying this id. Refusals of malformed input carry id 0, since
   * the server could not read one.
   */
  public Response response(long id) {
    return take(inbox.responses(id), "a response with id " + id, TIMEOUT);
  }

  public Push nextPush() {
    return take(inbox.pushes, "a push", TIMEOUT);
  }

  /** As {@link #nextPush()}, waiting up to {@code timeout}. */
  public Push nextPush(Duration timeout) {
    return take(inbox.pushes, "a push", timeout);
  }

  /** Waits until the socket has closed, from either side. */
  public Closed awaitClose() {
    return awaitClose(TIMEOUT);
  }

  /** As {@link #awaitClose()}, waiting up to {@code timeout}. */
  public Closed awaitClose(Duration timeout) {
    try {
      return inbox.closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the socket did not close within " + timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }

  public boolean isOpen() {
    return !inbox.closed.isDone();
  }

  /** Messages from the server that were not frames at all; a correct server sends none. */
  public int unparsedMessages() {
    return inbox.unparsed.get();
  }

  private static <T> T take(BlockingQueue<T> queue, String what, Duration timeout) {
    try {
      T item = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (item == null) {
        throw new AssertionError("no " + what + " arrived within " + timeout);
      }
      return item;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  @Override
  public void close() {
    socket.abort();
    http.shutdownNow();
  }

  /** Reassembles messages that arrive in parts and sorts frames into responses and pushes. */
  private static final class Inbox implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final Map<Long, BlockingQueue<Response>> responses = new ConcurrentHashMap<>();
    private final BlockingQueue<Push> pushes = new LinkedBlockingQueue<>();
    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final AtomicInteger unparsed = new AtomicInteger();

    BlockingQueue<Response> responses(long id) {
      return responses.computeIfAbsent(id, i -> new LinkedBlockingQueue<>());
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      partial.writeBytes(chunk);
      if (last) {
        byte[] message = partial.toByteArray();
        partial.reset();
        accept(message);
      }
      webSocket.request(1);
      return null;
    }

    private void accept(byte[] message) {
      try {
        Frame frame = Frame.parseFrom(message);
        switch (frame.getKindCase()) {
          case RESPONSE -> responses(frame.getResponse().getId()).add(frame.getResponse());
          case PUSH -> pushes.add(frame.getPush());
          default -> unparsed.incrementAndGet();
        }
      } catch (InvalidProtocolBufferException e) {
        unparsed.incrementAndGet();
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      unparsed.incrementAndGet();
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(new Closed(statusCode, reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(new Closed(-1, String.valueOf(error)));
    }
  }
}
