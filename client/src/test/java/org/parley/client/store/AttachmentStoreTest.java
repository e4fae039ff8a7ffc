package org.parley.client.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.store.AttachmentStore.Held;
import org.parley.client.events.AttachmentView;
import org.parley.protocol.wire.AttachmentPointer;

/** A contact chooses a pointer's id and content type: what is not an id or a type is not taken as one. */
class AttachmentStoreTest {
  @TempDir Path dir;

  static AttachmentPointer pointer(String blobId, int keyBytes) {
    return AttachmentPointer.newBuilder()
        .setBlobId(blobId)
        .setKey(ByteString.copyFrom(new byte[keyBytes]))
        .setDigest(ByteString.copyFrom(new byte[32]))
        .setSize(10)
        .build();
  }

  @Test
  void aHostilePointerIsNeverOfferedForFetchingAndOneWithABadKeyIsStoredFailedWithItsReason() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      AttachmentStore attachments = new AttachmentStore(store, dir.resolve("attachments"));
      UUID mallory = UUID.randomUUID();
      attachments.insert(
          mallory, "m1",
          List.of(pointer("../../x", 64), pointer("a\0b", 64), pointer("good_id-1", 10), pointer("good_id-2", 64)),
          AttachmentStore.PENDING);

      List<Held> held = attachments.of(mallory, "m1");
      assertThat(held).extracting(Held::blobId).containsExactly("good_id-1", "good_id-2");
      assertThat(held).extracting(Held::status).containsExactly(AttachmentStore.FAILED, AttachmentStore.PENDING);
      assertThat(held.get(0).error()).contains("key");
      assertThat(attachments.pending(10)).extracting(Held::blobId).containsExactly("good_id-2");
      assertThat(AttachmentStore.malformed(pointer("../../x", 64))).contains("blob id");
      assertThat(AttachmentStore.malformed(pointer("a\0b", 64))).contains("blob id");
      assertThat(AttachmentStore.malformed(pointer("ok", 64))).isNull();
    }
  }

  @Test
  void aPendingAttachmentIsTriedABoundedNumberOfTimesThenFailedAndTheLeastTriedComeFirst() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      AttachmentStore attachments = new AttachmentStore(store, dir.resolve("attachments"));
      UUID bob = UUID.randomUUID();
      attachments.insert(bob, "m1", List.of(pointer("stuck", 64)), AttachmentStore.PENDING);
      attachments.insert(bob, "m2", List.of(pointer("fresh", 64)), AttachmentStore.PENDING);
      Held stuck = attachments.pending(1).getFirst();
      assertThat(stuck.blobId()).isEqualTo("stuck");

      for (int i = 0; i < AttachmentStore.MAX_ATTEMPTS; i++) {
        assertThat(attachments.attempt(stuck)).isTrue();
      }
      assertThat(attachments.pending(1)).extracting(Held::blobId).containsExactly("fresh");
      assertThat(attachments.attempt(stuck)).isFalse();

      Held after = attachments.of(bob, "m1").getFirst();
      assertThat(after.status()).isEqualTo(AttachmentStore.FAILED);
      assertThat(after.error()).contains("parley attachment get stuck");
      assertThat(attachments.pending(10)).extracting(Held::blobId).containsExactly("fresh");
    }
  }

  static AttachmentPointer pointer(String id, String type) {
    return AttachmentPointer.newBuilder().setBlobId(id).setContentType(type).setSize(3).build();
  }

  @Test
  void aPointerWithAForgedIdIsDroppedAndAForgedTypeBecomesOctetStream() {
    List<AttachmentPointer> received =
        AttachmentStore.received(List.of(
            pointer("AbC-_123", "text/plain"),
            pointer("id\u001b[2J", "text/plain"),
            pointer("../../etc", "text/plain"),
            pointer("x".repeat(65), "text/plain"),
            pointer("Good2", "text/plain\u001b[2J"),
            pointer("Good3", "text/html; x=\"<script>\""),
            pointer("Good4", "image/svg+xml"),
            pointer("Good5", "")));
    assertThat(received).extracting(AttachmentPointer::getBlobId).containsExactly("AbC-_123", "Good2", "Good3", "Good4", "Good5");
    assertThat(received).extracting(AttachmentPointer::getContentType)
        .containsExactly("text/plain", "application/octet-stream", "application/octet-stream", "image/svg+xml", "");
    assertThat(AttachmentStore.arrived(List.of(pointer("id\u001b", "a/b"), pointer("ok", "a/b\n"))))
        .extracting(AttachmentView::id, AttachmentView::contentType)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("ok", "application/octet-stream"));
  }

  @Test
  void atMostThirtyTwoPointersAreTaken() {
    List<AttachmentPointer> many = java.util.stream.IntStream.range(0, 40).mapToObj(i -> pointer("id" + i, "a/b")).toList();
    assertThat(AttachmentStore.received(many)).hasSize(AttachmentStore.MAX_PER_MESSAGE);
  }
}
