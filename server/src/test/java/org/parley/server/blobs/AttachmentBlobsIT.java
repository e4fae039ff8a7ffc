package org.parley.server.blobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.BlobKind;
import org.parley.protocol.wire.BlobUpload;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;

/**
 * Attachment blobs on a real server: resumable uploads (HEAD, PATCH with Upload-Offset), who may
 * fetch them (the accounts their message went to), when they go (once every addressed device has
 * them, or after 30 days), and the quotas, each refused with a reason.
 */
class AttachmentBlobsIT {
  static final int SIZE = 400_000;
  static final String PATH_OF_A_BLOB = BlobHttpHandler.PATH_PREFIX + "AAAAAAAAAAAAAAAAAAAAAA";

  @TempDir Path dir;
  final MutableClock clock = MutableClock.now();
  final byte[] bytes = random(SIZE);
  TestServer server;
  BlobClient alice;
  BlobClient aliceLaptop;
  BlobClient bob;
  BlobClient carol;

  void start(BlobLimits limits) {
    server = TestServer.start(dir.resolve("server"), clock, b -> b.blobLimits(limits));
    alice = BlobClient.primary(server, "+15550000001");
    aliceLaptop = alice.companion(server, 2);
    bob = BlobClient.primary(server, "+15550000002");
    carol = BlobClient.primary(server, "+15550000003");
  }

  @AfterEach
  void stop() {
    Stream.of(alice, aliceLaptop, bob, carol).filter(c -> c != null).forEach(BlobClient::close);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void anUploadCutOffHalfWayContinuesFromTheOffsetTheServerHolds() throws Exception {
    start(BlobLimits.defaults());
    BlobUpload slot = reserve(alice, SIZE);
    // the connection dies after 150,000 of the bytes it announced
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("PATCH " + slot.getPath() + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice.authorization()
              + "\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: " + SIZE
              + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes, 0, 150_000);
      out.flush();
    }
    await().atMost(Duration.ofSeconds(10))
        .until(() -> alice.head(slot.getPath()).headers().firstValue("Upload-Offset").orElse(""), "150000"::equals);
    HttpResponse<String> head = alice.head(slot.getPath());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Upload-Length")).hasValue(Integer.toString(SIZE));
    assertThat(head.headers().firstValue("Tus-Resumable")).hasValue("1.0.0");
    assertThat(bob.head(slot.getPath()).statusCode()).isEqualTo(403);

    HttpResponse<String> wrongOffset = alice.patch(slot.getPath(), 100_000, Arrays.copyOfRange(bytes, 100_000, SIZE));
    assertThat(wrongOffset.statusCode()).isEqualTo(409);
    assertThat(wrongOffset.headers().firstValue("Upload-Offset")).hasValue("150000");
    assertThat(wrongOffset.body()).contains("holds 150000 bytes");
    HttpResponse<String> wrongType =
        alice.send(alice.request(slot.getPath()).method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("x"))
            .header("Upload-Offset", "150000").build());
    assertThat(wrongType.statusCode()).isEqualTo(415);

    // a PATCH may bring only part of the rest; each answers with the offset reached
    HttpResponse<String> part = alice.patch(slot.getPath(), 150_000, Arrays.copyOfRange(bytes, 150_000, 300_000));
    assertThat(part.statusCode()).isEqualTo(204);
    assertThat(part.headers().firstValue("Upload-Offset")).hasValue("300000");
    assertThat(aliceLaptop.get(slot.getPath()).statusCode()).as("not fetchable before it is whole").isEqualTo(409);
    HttpResponse<String> rest = alice.patch(slot.getPath(), 300_000, Arrays.copyOfRange(bytes, 300_000, SIZE));
    assertThat(rest.statusCode()).isEqualTo(204);
    assertThat(rest.headers().firstValue("Upload-Offset")).hasValue(Integer.toString(SIZE));

    assertThat(aliceLaptop.get(slot.getPath()).body()).isEqualTo(bytes);
    assertThat(alice.patch(slot.getPath(), SIZE, new byte[0]).statusCode()).isEqualTo(409);
  }

  @Test
  void anAttachmentIsFetchedByTheDevicesItsMessageWentToAndGoesOnceAllHaveIt() throws Exception {
    start(BlobLimits.defaults());
    BlobUpload blob = uploaded(alice);
    HttpResponse<byte[]> early = bob.get(blob.getPath());
    assertThat(early.statusCode()).isEqualTo(403);
    assertThat(new String(early.body(), StandardCharsets.UTF_8)).contains("not sent to this account");

    assertThat(sendToBob(alice, blob.getBlobId()).getStatus()).isEqualTo(Status.OK);

    assertThat(bob.get(blob.getPath()).body()).isEqualTo(bytes);
    assertThat(carol.get(blob.getPath()).statusCode()).isEqualTo(403);
    assertThat(carol.delete(blob.getPath()).statusCode()).isEqualTo(403);
    // the uploader reading its own blob, and confirming it, counts for nothing once a message points to it
    assertThat(alice.get(blob.getPath()).body()).isEqualTo(bytes);
    HttpResponse<String> aliceDone = alice.delete(blob.getPath());
    assertThat(aliceDone.statusCode()).isEqualTo(200);
    assertThat(aliceDone.body()).contains("kept: a message points to it");

    HttpResponse<String> bobDone = bob.delete(blob.getPath());
    assertThat(bobDone.statusCode()).isEqualTo(200);
    assertThat(bobDone.body()).contains("kept until the 1 other");
    assertThat(aliceLaptop.get(blob.getPath()).body()).isEqualTo(bytes);
    assertThat(aliceLaptop.delete(blob.getPath()).body()).contains("every device it was sent to has it");

    assertThat(bob.get(blob.getPath()).statusCode()).isEqualTo(404);
    assertThat(blobFiles()).isEmpty();

    // an upload no message points to is still the uploader's to delete
    BlobUpload unsent = uploaded(alice);
    assertThat(alice.delete(unsent.getPath()).body()).isEqualToIgnoringWhitespace("deleted");
    assertThat(alice.get(unsent.getPath()).statusCode()).isEqualTo(404);
  }

  @Test
  void anAttachmentNotEveryoneFetchedGoesAfterThirtyDaysAndAnUnfinishedUploadAfterADay() throws Exception {
    start(BlobLimits.defaults());
    BlobUpload blob = uploaded(alice);
    sendToBob(alice, blob.getBlobId());
    BlobUpload unfinished = reserve(alice, SIZE);
    assertThat(alice.patch(unfinished.getPath(), 0, Arrays.copyOf(bytes, 1000)).statusCode()).isEqualTo(204);

    clock.advance(Duration.ofHours(25));
    assertThat(alice.head(unfinished.getPath()).statusCode()).isEqualTo(404);
    assertThat(bob.get(blob.getPath(), "bytes=0-9").statusCode()).isEqualTo(206);
    clock.advance(Duration.ofDays(29));
    assertThat(bob.get(blob.getPath()).statusCode()).isEqualTo(404);
    assertThat(blobFiles()).isEmpty();
  }

  @Test
  void aMessageMayPointOnlyToAttachmentsItsAccountUploaded() throws Exception {
    start(BlobLimits.defaults());
    BlobUpload bobs = uploaded(bob);
    Response stolen = sendToBob(alice, bobs.getBlobId());
    assertThat(stolen.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(stolen.getMessage()).contains("not an attachment this account uploaded");

    BlobUpload history = alice.reserve(10).getBlobUpload();
    assertThat(alice.put(history.getPath(), new byte[10]).statusCode()).isEqualTo(201);
    assertThat(sendToBob(alice, history.getBlobId()).getStatus()).isEqualTo(Status.BAD_REQUEST);

    BlobUpload unfinished = reserve(alice, SIZE);
    Response early = sendToBob(alice, unfinished.getBlobId());
    assertThat(early.getStatus()).isEqualTo(Status.CONFLICT);
    assertThat(early.getMessage()).contains("finish the upload first");
    assertThat(bob.get(unfinished.getPath()).statusCode()).isEqualTo(403);
  }

  /**
   * An upload no message points to (its 201 was lost and the client started over, or it never sent
   * the message) goes after the upload window, not the attachment's 30 days, and so does the quota it
   * held; one a message points to stays for the devices it was sent to.
   */
  @Test
  void anAttachmentNoMessagePointsToGoesAfterTheUploadWindowAndItsQuotaWithIt() throws Exception {
    start(BlobLimits.defaults().withMaxAttachmentBytes(500_000).withMaxBytesPerAccount(900_000));
    HttpResponse<String> sent = alice.create(bytes);
    assertThat(sent.statusCode()).as(sent.body()).isEqualTo(201);
    String sentPath = sent.headers().firstValue("Location").orElseThrow();
    assertThat(sendToBob(alice, sentPath.substring(BlobHttpHandler.PATH_PREFIX.length())).getStatus()).isEqualTo(Status.OK);
    HttpResponse<String> orphan = alice.create(bytes);
    assertThat(orphan.statusCode()).as(orphan.body()).isEqualTo(201);
    String orphanPath = orphan.headers().firstValue("Location").orElseThrow();
    assertThat(alice.create(bytes).statusCode()).as("the two hold the account's bytes").isEqualTo(429);

    clock.advance(Duration.ofHours(25));
    assertThat(aliceLaptop.get(orphanPath).statusCode()).as("nothing points to it: gone after a day").isEqualTo(404);
    assertThat(bob.get(sentPath).body()).as("its message went to bob: kept").isEqualTo(bytes);
    HttpResponse<String> again = alice.create(bytes);
    assertThat(again.statusCode()).as("the quota the orphan held is back: " + again.body()).isEqualTo(201);
    assertThat(sendToBob(alice, orphanPath.substring(BlobHttpHandler.PATH_PREFIX.length())).getStatus())
        .as("a message cannot point to it any more").isEqualTo(Status.BAD_REQUEST);

    clock.advance(Duration.ofDays(28));
    assertThat(bob.get(sentPath).statusCode()).as("within the 30 days of its message").isEqualTo(200);
  }

  /**
   * tus creation-with-upload: one POST reserves the slot and brings the whole body, answered 201 only
   * once the blob is complete; the same quotas as a reservation; a body that breaks off leaves nothing.
   */
  @Test
  void aPostCreatesAWholeAttachmentInOneRequestOrLeavesNothing() throws Exception {
    BlobLimits limits = BlobLimits.defaults().withMaxAttachmentBytes(500_000).withMaxBytesPerAccount(900_000);
    start(limits);
    HttpResponse<String> created = alice.create(bytes);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String location = created.headers().firstValue("Location").orElseThrow();
    assertThat(location).startsWith(BlobHttpHandler.PATH_PREFIX);
    assertThat(created.headers().firstValue("Upload-Offset")).hasValue(Integer.toString(SIZE));
    assertThat(aliceLaptop.get(location).body()).as("whole, and the account's").isEqualTo(bytes);
    assertThat(bob.get(location).statusCode()).as("not sent to bob").isEqualTo(403);
    String blobId = location.substring(BlobHttpHandler.PATH_PREFIX.length());
    assertThat(sendToBob(alice, blobId).getStatus()).as("a message may point to it").isEqualTo(Status.OK);
    assertThat(bob.get(location).body()).isEqualTo(bytes);

    // the whole body, as announced, or nothing
    HttpResponse<String> noLength =
        alice.send(alice.request(BlobHttpHandler.COLLECTION).header("Content-Type", "application/offset+octet-stream")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    assertThat(noLength.statusCode()).isEqualTo(400);
    assertThat(noLength.body()).contains("Upload-Length");
    assertThat(alice.send(alice.request(PATH_OF_A_BLOB).POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build())
        .statusCode()).isEqualTo(405);
    assertThat(alice.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(alice.url(BlobHttpHandler.COLLECTION)))
                .header("Upload-Length", "1").POST(java.net.http.HttpRequest.BodyPublishers.ofString("x")).build())
        .statusCode()).as("no credentials").isEqualTo(401);

    // the quotas of a reservation: too large for one attachment, then over the account's bytes
    HttpResponse<String> tooLarge = alice.create(random((int) limits.maxAttachmentBlobBytes() + 1));
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(tooLarge.body()).contains("attachments of at most");
    assertThat(alice.create(bytes).statusCode()).isEqualTo(201);
    HttpResponse<String> overQuota = alice.create(bytes);
    assertThat(overQuota.statusCode()).isEqualTo(429);
    assertThat(overQuota.body()).contains("may have at most").contains("try again in 15 min");
    assertThat(overQuota.headers().firstValue("Retry-After")).hasValue("900");
    int filesBefore = server.blobFiles().size();

    // cut off half way: the slot it reserved goes with it (its client starts over)
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + BlobHttpHandler.COLLECTION + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + bob.authorization()
              + "\r\nUpload-Length: " + SIZE + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: "
              + SIZE + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes, 0, 150_000);
      out.flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> server.blobFiles().size() == filesBefore + 1);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.blobFiles().size() == filesBefore);
    assertThat(bob.create(bytes).statusCode()).isEqualTo(201);
    assertThat(bob.create(bytes).statusCode()).as("no quota held by the broken one").isEqualTo(201);
  }

  /**
   * HTTP/1.1 keep-alive: once a blob request was read whole and answered, the same connection takes
   * the next one (a device's next file costs no new connection); an answer given before the body was
   * read (a refusal) closes it, so no leftover of a body is taken for a request.
   */
  @Test
  void aConnectionTakesTheNextBlobRequestOnceOneWasReadWholeAndClosesAfterARefusalBeforeTheBody() throws Exception {
    start(BlobLimits.defaults().withMaxAttachmentBytes(500_000));
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
      out.write(("POST " + BlobHttpHandler.COLLECTION + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice.authorization()
              + "\r\nUpload-Length: " + SIZE + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: "
              + SIZE + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      RawAnswer created = RawAnswer.read(in, false);
      assertThat(created.status()).as(created.head()).isEqualTo(201);
      String location = created.header("location");

      out.write(("HEAD " + location + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice.authorization() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      RawAnswer head = RawAnswer.read(in, true);
      assertThat(head.status()).as("the same connection took a second request").isEqualTo(200);
      assertThat(head.header("upload-offset")).isEqualTo(Integer.toString(SIZE));

      out.write(("DELETE " + location + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice.authorization() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(RawAnswer.read(in, false).status()).as("and a third").isEqualTo(200);
    }
    assertThat(blobFiles()).isEmpty();

    // a request pipelined behind an upload is never lost nor counted as its body: read with the upload's
    // end it is refused by closing the connection; read after the answer, the next handler takes it
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
      java.io.ByteArrayOutputStream both = new java.io.ByteArrayOutputStream();
      both.write(("POST " + BlobHttpHandler.COLLECTION + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice.authorization()
              + "\r\nUpload-Length: " + SIZE + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: "
              + SIZE + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      both.write(bytes);
      both.write(("HEAD " + PATH_OF_A_BLOB + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice.authorization() + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(both.toByteArray());
      out.flush();
      RawAnswer created = RawAnswer.read(in, false);
      assertThat(created.status()).as(created.head()).isEqualTo(201);
      if ("close".equalsIgnoreCase(created.header("connection"))) {
        assertThat(in.read()).as("the pipelined HEAD was not taken, and the connection ends").isEqualTo(-1);
      } else {
        assertThat(RawAnswer.read(in, true).status()).as("the pipelined HEAD was answered").isEqualTo(404);
      }
    }

    // refused before its body was read (too large): the connection ends with the answer
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
      int tooLarge = 600_000;
      out.write(("POST " + BlobHttpHandler.COLLECTION + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + alice.authorization()
              + "\r\nUpload-Length: " + tooLarge + "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: "
              + tooLarge + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(bytes, 0, 1000);
      out.flush();
      RawAnswer refused = RawAnswer.read(in, false);
      assertThat(refused.status()).isEqualTo(413);
      assertThat(refused.header("connection")).isEqualToIgnoringCase("close");
      assertThat(in.read()).as("nothing more: the server ended the connection").isEqualTo(-1);
    }
  }

  /** An HTTP answer read off a raw socket: the status line and headers, and the body its Content-Length says. */
  private record RawAnswer(String head, int status, java.util.Map<String, String> headers) {
    static RawAnswer read(java.io.InputStream in, boolean noBody) throws java.io.IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new java.io.EOFException("the connection ended after: " + head);
        }
        head.append((char) b);
      }
      String[] lines = head.toString().split("\r\n");
      java.util.Map<String, String> headers = new java.util.HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
      }
      int length = noBody ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
      in.readNBytes(length);
      return new RawAnswer(head.toString(), Integer.parseInt(lines[0].split(" ")[1]), headers);
    }

    String header(String name) {
      return headers.get(name);
    }
  }

  /** Many POSTs of one account at once, each on its own connection: the quota holds for all of them together. */
  @Test
  void concurrentPostsOfOneAccountPassTheQuotaTogetherNoMoreThanOneByOne() throws Exception {
    start(BlobLimits.defaults().withMaxBlobsPerAccount(1));
    byte[] small = random(1_000);
    try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> all = new java.util.ArrayList<>();
      for (int i = 0; i < 150; i++) {
        all.add(http.sendAsync(
            alice.request(BlobHttpHandler.COLLECTION).header("Upload-Length", "1000")
                .header("Content-Type", "application/offset+octet-stream").header("Tus-Resumable", "1.0.0")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(small)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      // Past the per-address limit on connections not yet authenticated, the server refuses some
      // connections outright (503, or closed mid-body): those count as -1 here, and prove nothing.
      List<Integer> statuses =
          all.stream().map(f -> f.handle((r, e) -> r == null ? -1 : r.statusCode()).join()).toList();
      assertThat(statuses.stream().filter(s -> s == 201).count()).as("statuses %s", statuses).isLessThanOrEqualTo(1);
      assertThat(statuses).as("the quota refused the others").contains(429);
    }
  }

  @Test
  void quotasAreRefusedWithAReason() {
    BlobLimits limits = BlobLimits.defaults().withMaxAttachmentBytes(100_000).withMaxBytesPerAccount(300_000);
    start(limits);
    Response tooLarge = alice.reserve(limits.maxAttachmentBlobBytes() + 1, BlobKind.BLOB_KIND_ATTACHMENT);
    assertThat(tooLarge.getStatus()).isEqualTo(Status.TOO_LARGE);
    assertThat(tooLarge.getMessage()).contains("attachments of at most 0.1 MiB (100000 bytes)");
    assertThat(alice.reserve(limits.maxAttachmentBlobBytes(), BlobKind.BLOB_KIND_ATTACHMENT).getStatus())
        .isEqualTo(Status.OK);

    assertThat(alice.reserve(100_000, BlobKind.BLOB_KIND_ATTACHMENT).getStatus()).isEqualTo(Status.OK);
    Response overQuota = aliceLaptop.reserve(100_000, BlobKind.BLOB_KIND_ATTACHMENT);
    assertThat(overQuota.getStatus()).isEqualTo(Status.LIMIT_REACHED);
    assertThat(overQuota.getMessage()).contains("may have at most 0.3 MiB");
    assertThat(bob.reserve(100_000, BlobKind.BLOB_KIND_ATTACHMENT).getStatus()).isEqualTo(Status.OK);
  }

  @Test
  void noNewUploadWhenTheDiskIsNearlyFull() throws Exception {
    // keep free more than this disk has: as if it were nearly full
    start(BlobLimits.defaults().withMinFreeDiskBytes(Files.getFileStore(dir).getTotalSpace()));
    Response refused = alice.reserve(1000, BlobKind.BLOB_KIND_ATTACHMENT);
    assertThat(refused.getStatus()).isEqualTo(Status.STORAGE_FULL);
    assertThat(refused.getMessage()).contains("disk is nearly full");
    assertThat(alice.reserve(1000).getStatus()).isEqualTo(Status.STORAGE_FULL);
  }

  // ---------------------------------------------------------------- helpers

  private BlobUpload reserve(BlobClient client, long size) {
    Response reserved = client.reserve(size, BlobKind.BLOB_KIND_ATTACHMENT);
    assertThat(reserved.getStatus()).as(reserved.getMessage()).isEqualTo(Status.OK);
    return reserved.getBlobUpload();
  }

  private BlobUpload uploaded(BlobClient client) throws Exception {
    BlobUpload slot = reserve(client, SIZE);
    HttpResponse<String> patch = client.patch(slot.getPath(), 0, bytes);
    assertThat(patch.statusCode()).as(patch.body()).isEqualTo(204);
    return slot;
  }

  /** A message from alice's phone to bob's phone and alice's laptop, pointing to the blob. */
  private Response sendToBob(BlobClient from, String blobId) {
    SendMessage.Builder send =
        SendMessage.newBuilder()
            .setTimestamp(clock.millis())
            .addMessages(envelope(bob, 1))
            .addMessages(envelope(aliceLaptop, 2))
            .addAttachmentBlobIds(blobId);
    return from.call(Request.newBuilder().setSendMessage(send));
  }

  private static OutgoingMessage envelope(BlobClient to, int device) {
    return OutgoingMessage.newBuilder()
        .setDestinationAccount(to.account.toString())
        .setDestinationDevice(device)
        .setDestinationRegistrationId(1000 + device)
        .setType(CiphertextType.WHISPER)
        .setContent(ByteString.copyFromUtf8("opaque to the server"))
        .build();
  }

  private java.util.List<String> blobFiles() throws Exception {
    try (Stream<Path> files = Files.list(dir.resolve("server").resolve("blobs"))) {
      return files.map(f -> f.getFileName().toString()).filter(name -> !name.startsWith(FileBlobStore.INDEX)).toList();
    }
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }
}
