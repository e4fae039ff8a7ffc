package org.parley.server.blobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.BlobUpload;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;

class BlobStoreIT {
  static final int SIZE = 300_000;

  @TempDir Path dir;
  final MutableClock clock = MutableClock.now();
  final byte[] bytes = random(SIZE);
  TestServer server;
  BlobClient alice;
  BlobClient aliceLaptop;
  BlobClient bob;

  void start(BlobLimits limits) {
    server = TestServer.start(dir.resolve("server"), clock, b -> b.blobLimits(limits));
    alice = BlobClient.primary(server, "+15550000001");
    aliceLaptop = alice.companion(server, 2);
    bob = BlobClient.primary(server, "+15550000002");
  }

  void start() {
    start(BlobLimits.defaults());
  }

  @AfterEach
  void stop() {
    Stream.of(alice, aliceLaptop, bob).filter(c -> c != null).forEach(BlobClient::close);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anotherDeviceOfTheAccountDownloadsWhatWasUploadedAndDeletesIt() throws Exception {
    start();
    BlobUpload blob = uploaded();
    assertThat(blob.getPath()).isEqualTo("/v1/blobs/" + blob.getBlobId());
    assertThat(blob.getBlobId()).hasSize(32);
    assertThat(blob.getExpiresAt()).isEqualTo(clock.millis() + Duration.ofHours(24).toMillis());

    HttpResponse<byte[]> download = aliceLaptop.get(blob.getPath());
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    assertThat(download.body()).isEqualTo(bytes);

    assertThat(aliceLaptop.delete(blob.getPath()).statusCode()).isEqualTo(200);
    HttpResponse<byte[]> gone = aliceLaptop.get(blob.getPath());
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(text(gone)).contains("no such blob");
    assertThat(blobFiles()).isEmpty();
  }

  @Test
  void aFullyFetchedBlobIsGoneSoonAfterEvenWithoutConfirmation() throws Exception {
    start();
    BlobUpload blob = uploaded();
    assertThat(aliceLaptop.get(blob.getPath()).body()).isEqualTo(bytes);
    // the server notes the fetch once its last write has gone out, which may be after the client has it all
    try (FileBlobStore files = new FileBlobStore(dir.resolve("server").resolve("blobs"))) {
      await().atMost(Duration.ofSeconds(5))
          .until(() -> files.find(blob.getBlobId()).orElseThrow().expiresAt() < blob.getExpiresAt());
    }

    // kept a little while, so that a download cut off at its very end can still resume
    clock.advance(Duration.ofMinutes(5));
    assertThat(aliceLaptop.get(blob.getPath(), "bytes=" + (SIZE - 10) + "-").statusCode()).isEqualTo(206);

    clock.advance(Duration.ofMinutes(6));
    assertThat(aliceLaptop.get(blob.getPath()).statusCode()).isEqualTo(404);
    assertThat(blobFiles()).isEmpty();
  }

  @Test
  void theUploaderFetchingItsOwnBlobDoesNotCountAsFetched() throws Exception {
    start();
    BlobUpload blob = uploaded();
    // read to the end of the connection: the server closes it only after it has noted (or not) a fetch
    String response = raw("GET " + blob.getPath() + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + authorization(alice) + "\r\n\r\n");
    assertThat(response).startsWith("HTTP/1.1 200");
    try (FileBlobStore files = new FileBlobStore(dir.resolve("server").resolve("blobs"))) {
      assertThat(files.find(blob.getBlobId()).orElseThrow().expiresAt()).isEqualTo(blob.getExpiresAt());
    }
    clock.advance(Duration.ofHours(1));
    assertThat(aliceLaptop.get(blob.getPath()).body()).isEqualTo(bytes);
  }

  @Test
  void aPartialFetchIsNotAFetchAndTheDownloadResumesWithRange() throws Exception {
    start();
    BlobUpload blob = uploaded();
    HttpResponse<byte[]> head = aliceLaptop.get(blob.getPath(), "bytes=0-99999");
    assertThat(head.statusCode()).isEqualTo(206);
    assertThat(head.headers().firstValue("Content-Range")).hasValue("bytes 0-99999/" + SIZE);
    assertThat(head.body()).isEqualTo(Arrays.copyOf(bytes, 100_000));

    clock.advance(Duration.ofHours(1));
    HttpResponse<byte[]> tail = aliceLaptop.get(blob.getPath(), "bytes=100000-");
    assertThat(tail.statusCode()).isEqualTo(206);
    assertThat(tail.headers().firstValue("Content-Range")).hasValue("bytes 100000-" + (SIZE - 1) + "/" + SIZE);
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(bytes, 100_000, SIZE));

    HttpResponse<byte[]> beyond = aliceLaptop.get(blob.getPath(), "bytes=" + SIZE + "-");
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */" + SIZE);
    assertThat(aliceLaptop.get(blob.getPath(), "bytes=-500").statusCode()).isEqualTo(416);
  }

  @Test
  void anUnfetchedBlobExpiresAfterItsTtl() throws Exception {
    start();
    BlobUpload blob = uploaded();
    clock.advance(Duration.ofHours(23));
    assertThat(aliceLaptop.get(blob.getPath(), "bytes=0-0").statusCode()).isEqualTo(206);
    clock.advance(Duration.ofHours(2));
    assertThat(aliceLaptop.get(blob.getPath()).statusCode()).isEqualTo(404);
    assertThat(blobFiles()).isEmpty();
  }

  @Test
  void housekeepingDeletesExpiredBlobsNobodyAsksFor() throws Exception {
    start(BlobLimits.defaults().withHistoryTtl(Duration.ofSeconds(2)).withUploadWindow(Duration.ofSeconds(2)));
    uploaded();
    Response reservedOnly = alice.reserve(10);
    assertThat(reservedOnly.getStatus()).isEqualTo(Status.OK);
    assertThat(alice.patch(reservedOnly.getBlobUpload().getPath(), 0, new byte[4]).statusCode()).isEqualTo(204);
    assertThat(blobFiles()).hasSize(2);
    clock.advance(Duration.ofSeconds(3));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(blobFiles()).isEmpty());
    assertThat(alice.head(reservedOnly.getBlobUpload().getPath()).statusCode()).isEqualTo(404);
  }

  @Test
  void aReservationLargerThanTheLimitOrEmptyIsRefused() {
    start(BlobLimits.defaults().withMaxHistoryBytes(1000));
    Response tooLarge = alice.reserve(1001);
    assertThat(tooLarge.getStatus()).isEqualTo(Status.TOO_LARGE);
    assertThat(tooLarge.getMessage()).contains("1000 bytes");
    assertThat(alice.reserve(0).getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(alice.reserve(1000).getStatus()).isEqualTo(Status.OK);
  }

  @Test
  void anAccountCannotHoardBlobs() {
    start(BlobLimits.defaults().withMaxBlobsPerAccount(2));
    assertThat(alice.reserve(10).getStatus()).isEqualTo(Status.OK);
    assertThat(aliceLaptop.reserve(10).getStatus()).isEqualTo(Status.OK);
    Response third = alice.reserve(10);
    assertThat(third.getStatus()).isEqualTo(Status.LIMIT_REACHED);
    assertThat(bob.reserve(10).getStatus()).isEqualTo(Status.OK);
  }

  @Test
  void aBodyLargerThanReservedIsRefusedBeforeOrWhileStreaming() throws Exception {
    start();
    BlobUpload blob = alice.reserve(1000).getBlobUpload();

    HttpResponse<String> declared = alice.put(blob.getPath(), random(5000));
    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(declared.body()).contains("1000 bytes reserved");

    // chunked, so only counting the bytes as they come can catch it
    String chunk = "A".repeat(4000);
    String request =
        "PUT " + blob.getPath() + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization(alice)
            + "\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(chunk.length()) + "\r\n" + chunk
            + "\r\n0\r\n\r\n";
    assertThat(raw(request)).startsWith("HTTP/1.1 413").contains("1000 bytes reserved");

    HttpResponse<String> shorter = alice.put(blob.getPath(), random(999));
    assertThat(shorter.statusCode()).isEqualTo(400);
    assertThat(shorter.body()).contains("exactly 1000");

    // nothing of the refused attempts is left: the right body is taken
    assertThat(alice.put(blob.getPath(), random(1000)).statusCode()).isEqualTo(201);
  }

  @Test
  void withoutValidCredentialsNothingMoves() throws Exception {
    start();
    BlobUpload blob = uploaded();
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> anonymous =
          http.send(HttpRequest.newBuilder(URI.create(alice.url(blob.getPath()))).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.body()).contains("HTTP Basic");

      String wrongSecret = BlobClient.basic(alice.account, 1, new byte[32]);
      HttpResponse<String> wrong =
          http.send(
              HttpRequest.newBuilder(URI.create(alice.url(blob.getPath()))).header("Authorization", wrongSecret).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(wrong.body()).contains("wrong credentials");
    }
    BlobUpload fresh = alice.reserve(10).getBlobUpload();
    assertThat(raw("PUT " + fresh.getPath() + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"))
        .startsWith("HTTP/1.1 401");
  }

  @Test
  void anotherAccountCanNeitherFetchNorTouchTheBlob() throws Exception {
    start();
    BlobUpload blob = uploaded();
    HttpResponse<byte[]> fetch = bob.get(blob.getPath());
    assertThat(fetch.statusCode()).isEqualTo(403);
    assertThat(text(fetch)).contains("another account");
    assertThat(bob.delete(blob.getPath()).statusCode()).isEqualTo(403);
    BlobUpload reserved = alice.reserve(10).getBlobUpload();
    assertThat(bob.put(reserved.getPath(), random(10)).statusCode()).isEqualTo(403);
    assertThat(aliceLaptop.get(blob.getPath()).body()).isEqualTo(bytes);
  }

  @Test
  void onlyTheReservingDeviceUploadsAndOnlyOnce() throws Exception {
    start();
    BlobUpload blob = alice.reserve(SIZE).getBlobUpload();
    assertThat(aliceLaptop.put(blob.getPath(), bytes).statusCode()).isEqualTo(403);
    HttpResponse<byte[]> early = aliceLaptop.get(blob.getPath());
    assertThat(early.statusCode()).isEqualTo(409);
    assertThat(text(early)).contains("not been uploaded completely");
    assertThat(alice.put(blob.getPath(), bytes).statusCode()).isEqualTo(201);
    assertThat(alice.put(blob.getPath(), bytes).statusCode()).isEqualTo(409);
  }

  @Test
  void otherRequestsStillReachTheirEndpointsAndOtherMethodsAreRefused() throws Exception {
    start();
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> health =
          http.send(HttpRequest.newBuilder(URI.create(alice.url("/health"))).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
    }
    BlobUpload blob = uploaded();
    HttpResponse<String> post =
        alice.send(alice.request(blob.getPath()).POST(HttpRequest.BodyPublishers.ofString("x")).build());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(alice.get("/v1/blobs/../../parley.db").statusCode()).isIn(400, 404);
    assertThat(alice.get("/v1/blobs/index.db").statusCode()).isEqualTo(404);
  }

  // ---------------------------------------------------------------- helpers

  private BlobUpload uploaded() throws Exception {
    Response reserved = alice.reserve(SIZE);
    assertThat(reserved.getStatus()).as(reserved.getMessage()).isEqualTo(Status.OK);
    HttpResponse<String> put = alice.put(reserved.getBlobUpload().getPath(), bytes);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    return reserved.getBlobUpload();
  }

  /** The files holding blob bytes (the index beside them aside). */
  private java.util.List<String> blobFiles() throws Exception {
    try (Stream<Path> files = Files.list(dir.resolve("server").resolve("blobs"))) {
      return files.map(f -> f.getFileName().toString()).filter(name -> !name.startsWith(FileBlobStore.INDEX)).toList();
    }
  }

  private String raw(String request) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String authorization(BlobClient client) throws Exception {
    return client.request("/").build().headers().firstValue("Authorization").orElseThrow();
  }

  private static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }
}
