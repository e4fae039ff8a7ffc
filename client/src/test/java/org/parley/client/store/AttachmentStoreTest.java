package org.parley.client.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.client.events.AttachmentView;
import org.parley.protocol.wire.AttachmentPointer;

/** A contact chooses a pointer's id and content type: what is not an id or a type is not taken as one. */
class AttachmentStoreTest {
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
