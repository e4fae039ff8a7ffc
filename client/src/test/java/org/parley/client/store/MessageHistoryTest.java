package org.parley.client.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MessageHistoryTest {
  @TempDir Path dir;

  @Test
  void aMessageIsKeptOnceAndItsStatusOnlyAdvances() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      MessageHistory history = new MessageHistory(store);
      UUID me = UUID.randomUUID();
      UUID bob = UUID.randomUUID();
      MessageHistory.Entry sent = new MessageHistory.Entry(me, "m1", 1, bob, null, true, "hi", 10, 11, "sent");

      assertThat(history.add(sent)).isTrue();
      assertThat(history.add(sent)).isFalse();
      history.updateStatus(me, List.of("m1"), "read");
      history.updateStatus(me, List.of("m1"), "delivered");

      assertThat(history.list(bob, null, 10)).singleElement().satisfies(e -> assertThat(e.status()).isEqualTo("read"));
    }
  }

  @Test
  void aMessageSeenBeforeGetsNoFilesFromASenderReusingItsId() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      MessageHistory history = new MessageHistory(store);
      AttachmentStore attachments = new AttachmentStore(store, dir.resolve("attachments"));
      UUID bob = UUID.randomUUID();
      MessageHistory.Entry first = new MessageHistory.Entry(bob, "m1", 1, bob, null, false, "hi", 10, 11, "unread");
      org.parley.protocol.wire.AttachmentPointer file =
          org.parley.protocol.wire.AttachmentPointer.newBuilder()
              .setBlobId("later")
              .setKey(com.google.protobuf.ByteString.copyFrom(new byte[64]))
              .setDigest(com.google.protobuf.ByteString.copyFrom(new byte[32]))
              .build();

      assertThat(history.add(first, List.of(), AttachmentStore.PENDING)).isTrue();
      assertThat(history.add(first, List.of(file, file), AttachmentStore.PENDING)).isFalse();

      assertThat(attachments.of(bob, "m1")).isEmpty();
      assertThat(attachments.pending(10)).isEmpty();
    }
  }

  @Test
  void aPageFurtherBackEndsAtTheGivenTimeAndKeepsMessagesSharingItsMillisecond() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      MessageHistory history = new MessageHistory(store);
      UUID me = UUID.randomUUID();
      UUID bob = UUID.randomUUID();
      for (int i = 1; i <= 6; i++) {
        // m3 and m4 share a millisecond: a page ending at m4 must not lose m3
        long time = i == 4 ? 30 : i * 10L;
        history.add(new MessageHistory.Entry(bob, "m" + i, 1, bob, null, false, "text " + i, time, time, "unread"));
      }

      List<String> newest = history.list(bob, null, 2).stream().map(MessageHistory.Entry::id).toList();
      assertThat(newest).containsExactly("m5", "m6");
      List<String> before = history.list(bob, null, 2, 30).stream().map(MessageHistory.Entry::id).toList();
      assertThat(before).containsExactlyInAnyOrder("m3", "m4");
      assertThat(history.list(bob, null, 10, 20).stream().map(MessageHistory.Entry::id)).containsExactly("m1", "m2");
    }
  }

  @Test
  void processedEnvelopesAreForgottenOnlyOnceOlderThanAskedFor() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      MessageHistory history = new MessageHistory(store);
      byte[] old = {1};
      byte[] recent = {2};
      history.markProcessed(old, 1_000);
      history.markProcessed(recent, 5_000);

      assertThat(history.forgetProcessedBefore(2_000)).isEqualTo(1);

      assertThat(history.processed(old)).isFalse();
      assertThat(history.processed(recent)).isTrue();
    }
  }
}
