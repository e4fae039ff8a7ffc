package org.parley.server.blobs;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.protocol.wire.BlobKind;
import org.parley.protocol.wire.CreateBlobUpload;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.server.auth.Credentials;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceRecord;
import org.parley.server.testing.TestServer;

/**
 * A device as the blob endpoints see it: its credentials, put straight into the server's store (no
 * keys, no signed list: the blob store needs neither), one WebSocket for reservations and plain
 * HTTP for the bytes.
 */
final class BlobClient implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  final UUID account;
  final int device;
  private final String httpBase;
  private final String authorization;
  private final HttpClient http = HttpClient.newHttpClient();
  private final WebSocket socket;
  private final Map<Long, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  private BlobClient(TestServer server, UUID account, int device, byte[] secret) {
    this(server, account, device, basic(account, device, secret));
  }

  private BlobClient(TestServer server, UUID account, int device, String authorization) {
    this.account = account;
    this.device = device;
    this.httpBase = "http://127.0.0.1:" + server.port();
    this.authorization = authorization;
    this.socket =
        http.newWebSocketBuilder()
            .header("Authorization", authorization)
            .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/websocket?deliver=false"), new Listener())
            .join();
  }

  static BlobClient primary(TestServer server, String phone) {
    UUID account = UUID.randomUUID();
    byte[] secret = secret();
    server.server().storage().accounts().registerPrimary(phone, record(account, 1, secret), null, 0);
    return new BlobClient(server, account, 1, secret);
  }

  BlobClient companion(TestServer server, int deviceId) {
    byte[] secret = secret();
    Accounts.LinkResult linked =
        server.server().storage().accounts().addCompanion(record(account, deviceId, secret), null, deviceId, new byte[] {1}, 4);
    if (linked != Accounts.LinkResult.LINKED) {
      throw new IllegalStateException("could not add a companion: " + linked);
    }
    return new BlobClient(server, account, deviceId, secret);
  }

  /** The same device connected to another node of a cluster. */
  BlobClient sameDeviceOn(TestServer node) {
    return new BlobClient(node, account, device, authorization);
  }

  private static DeviceRecord record(UUID account, int deviceId, byte[] secret) {
    byte[] identity = new byte[33];
    RANDOM.nextBytes(identity);
    long now = System.currentTimeMillis();
    return new DeviceRecord(account, deviceId, 1000 + deviceId, identity, Credentials.hash(secret), "test", 1, now, now, new byte[0]);
  }

  private static byte[] secret() {
    byte[] secret = new byte[Credentials.SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return secret;
  }

  static String basic(UUID account, int device, byte[] secret) {
    String credentials = account + "." + device + ":" + Base64.getEncoder().encodeToString(secret);
    return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  /** CreateBlobUpload (a history bundle) over the WebSocket; the response whatever its status. */
  Response reserve(long size) {
    return reserve(size, BlobKind.BLOB_KIND_HISTORY);
  }

  Response reserve(long size, BlobKind kind) {
    return call(Request.newBuilder().setCreateBlobUpload(CreateBlobUpload.newBuilder().setSize(size).setKind(kind)));
  }

  /** Any request over the WebSocket; the response whatever its status. */
  Response call(Request.Builder request) {
    long id = ids.incrementAndGet();
    CompletableFuture<Response> answer = new CompletableFuture<>();
    pending.put(id, answer);
    Frame frame = Frame.newBuilder().setRequest(request.setId(id)).build();
    socket.sendBinary(ByteBuffer.wrap(frame.toByteArray()), true).join();
    return answer.orTimeout(10, TimeUnit.SECONDS).join();
  }

  /** PATCH (tus-style) the bytes at an offset. */
  HttpResponse<String> patch(String path, long offset, byte[] body) throws Exception {
    return http.send(
        request(path)
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(body))
            .header("Upload-Offset", Long.toString(offset))
            .header("Content-Type", "application/offset+octet-stream")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> head(String path) throws Exception {
    return http.send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  String authorization() {
    return authorization;
  }

  HttpResponse<String> put(String path, byte[] body) throws Exception {
    return http.send(
        request(path).expectContinue(true).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** tus creation-with-upload: POST /v1/blobs with Upload-Length and the whole body. */
  HttpResponse<String> create(byte[] body) throws Exception {
    return http.send(
        request(BlobHttpHandler.COLLECTION)
            .header("Upload-Length", Integer.toString(body.length))
            .header("Content-Type", "application/offset+octet-stream")
            .header("Tus-Resumable", "1.0.0")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<byte[]> get(String path, String range) throws Exception {
    return http.send(request(path).header("Range", range).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<String> delete(String path) throws Exception {
    return http.send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(httpBase + path))
        .timeout(Duration.ofSeconds(20))
        .header("Authorization", authorization);
  }

  HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  String url(String path) {
    return httpBase + path;
  }

  @Override
  public void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
    http.close();
  }

  private final class Listener implements WebSocket.Listener {
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      partial.writeBytes(bytes);
      if (last) {
        try {
          Frame frame = Frame.parseFrom(partial.toByteArray());
          if (frame.hasResponse()) {
            CompletableFuture<Response> answer = pending.remove(frame.getResponse().getId());
            if (answer != null) {
              answer.complete(frame.getResponse());
            }
          }
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException(e);
        }
        partial.reset();
      }
      webSocket.request(1);
      return null;
    }
  }
}
