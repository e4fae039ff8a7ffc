package org.parley.server.blobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.BlobKind;
import org.parley.protocol.wire.BlobUpload;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.TestCluster;

/**
 * Blobs on a clustered server (DESIGN.md §10): any node serves any blob. An upload cut on one node
 * continues on another (a device that lost its node moves to the next), and an attachment sent
 * through one node is fetched, confirmed and deleted through the others.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusteredBlobsIT {
  static final int SIZE = 700_000;

  TestCluster cluster;
  final byte[] bytes = new byte[SIZE];

  @BeforeAll
  void start(@TempDir Path dir) {
    new Random(SIZE).nextBytes(bytes);
    cluster = TestCluster.start(dir, 2);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anAttachmentUploadedThroughOneNodeIsFetchedThroughTheOther() throws Exception {
    BlobClient aliceOnA = BlobClient.primary(cluster.node(0), "+15550170001");
    BlobClient aliceLaptopOnB = aliceOnA.companion(cluster.node(1), 2);
    BlobClient bobOnB = BlobClient.primary(cluster.node(1), "+15550170002");
    BlobClient aliceOnB = aliceOnA.sameDeviceOn(cluster.node(1));
    try {
      Response reserved = aliceOnA.reserve(SIZE, BlobKind.BLOB_KIND_ATTACHMENT);
      assertThat(reserved.getStatus()).as(reserved.getMessage()).isEqualTo(Status.OK);
      BlobUpload slot = reserved.getBlobUpload();

      // node A takes part of the upload; the device then moves to node B and continues there
      assertThat(aliceOnA.patch(slot.getPath(), 0, Arrays.copyOf(bytes, 300_000)).statusCode()).isEqualTo(204);
      assertThat(aliceOnB.head(slot.getPath()).headers().firstValue("Upload-Offset")).hasValue("300000");
      HttpResponse<String> rest = aliceOnB.patch(slot.getPath(), 300_000, Arrays.copyOfRange(bytes, 300_000, SIZE));
      assertThat(rest.statusCode()).as(rest.body()).isEqualTo(204);

      Response sent = sendTo(aliceOnA, slot.getBlobId(), bobOnB, aliceLaptopOnB);
      assertThat(sent.getStatus()).as(sent.getMessage()).isEqualTo(Status.OK);

      assertThat(bobOnB.get(slot.getPath()).body()).isEqualTo(bytes);
      assertThat(bobOnB.get(slot.getPath(), "bytes=400000-").body())
          .isEqualTo(Arrays.copyOfRange(bytes, 400_000, SIZE));
      assertThat(bobOnB.delete(slot.getPath()).body()).contains("kept until the 1 other");
      assertThat(aliceLaptopOnB.get(slot.getPath()).body()).isEqualTo(bytes);
      assertThat(aliceLaptopOnB.delete(slot.getPath()).body()).contains("every device it was sent to has it");

      assertThat(aliceOnA.get(slot.getPath()).statusCode()).as("gone on the other node too").isEqualTo(404);
    } finally {
      Stream.of(aliceOnA, aliceLaptopOnB, bobOnB, aliceOnB).forEach(BlobClient::close);
    }
  }

  /** A message from {@code from} to each recipient's device, pointing to the blob. */
  private static Response sendTo(BlobClient from, String blobId, BlobClient... recipients) {
    SendMessage.Builder send = SendMessage.newBuilder().setTimestamp(System.currentTimeMillis()).addAttachmentBlobIds(blobId);
    for (BlobClient to : recipients) {
      send.addMessages(
          OutgoingMessage.newBuilder()
              .setDestinationAccount(to.account.toString())
              .setDestinationDevice(to.device)
              .setDestinationRegistrationId(1000 + to.device)
              .setType(CiphertextType.WHISPER)
              .setContent(ByteString.copyFromUtf8("opaque to the server")));
    }
    return from.call(Request.newBuilder().setSendMessage(send));
  }
}
