package org.parley.client.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientException;
import org.parley.client.history.BlobTransfer;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.AttachmentStore.Held;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.AttachmentPointer;

class AttachmentFetcherTest {
  @TempDir Path dir;

  /**
   * A pointer recorded before ids were checked on arrival (or written into the store): the fetch
   * refuses it before the id reaches the file system, and records it failed.
   */
  @Test
  void aBlobIdThatIsNoFileNameIsRefusedBeforeAnyFileIsMade() throws Exception {
    Path profile = dir.resolve("profile");
    Path root = profile.resolve("attachments");
    try (ProfileStore store = ProfileStore.open(profile);
        BlobTransfer transfer = new BlobTransfer("http://127.0.0.1:9", UUID.randomUUID(), 1, new byte[32], null)) {
      AttachmentStore attachments = new AttachmentStore(store, root);
      AttachmentFetcher fetcher = new AttachmentFetcher(transfer, attachments, Clock.systemUTC(), n -> {});
      UUID mallory = UUID.randomUUID();
      for (String id : new String[] {"../../x", "a\0b"}) {
        AttachmentPointer pointer =
            AttachmentPointer.newBuilder()
                .setBlobId(id)
                .setKey(ByteString.copyFrom(new byte[64]))
                .setDigest(ByteString.copyFrom(new byte[32]))
                .setSize(10)
                .build();
        Held held = new Held(mallory, "m-" + id.length(), 0, pointer, AttachmentStore.PENDING, null, null);

        assertThatThrownBy(() -> fetcher.fetch(held))
            .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("ATTACHMENT_REFUSED"));
      }
      try (Stream<Path> files = Files.walk(dir)) {
        assertThat(files.map(Path::getFileName).map(Path::toString)).doesNotContain("x.part", "x.iv", "incoming");
      }
    }
  }
}
