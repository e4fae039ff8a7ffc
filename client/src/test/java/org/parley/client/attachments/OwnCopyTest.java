package org.parley.client.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientException;
import org.parley.client.store.AttachmentStore;

/** What the sender's own copy takes on before any upload: only a regular file, refused at once otherwise. */
class OwnCopyTest {
  @TempDir Path dir;

  @Test
  void aFifoOrADeviceIsRefusedAtOnceAndNothingIsCopied() throws Exception {
    AttachmentStore store = new AttachmentStore(null, dir.resolve("profile").resolve(AttachmentStore.DIRECTORY));
    Path fifo = dir.resolve("pipe");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();

    for (Path file : new Path[] {fifo, Path.of("/dev/zero")}) {
      // Without the check, opening a FIFO blocks for ever and /dev/zero never ends: bounded here.
      assertTimeoutPreemptively(Duration.ofSeconds(10), () ->
          assertThatThrownBy(() -> OwnCopy.start(file, store, Clock.systemUTC()))
              .isInstanceOf(ClientException.class)
              .hasMessageContaining("not a regular file"));
    }
    if (Files.isDirectory(store.incoming())) {
      try (Stream<Path> left = Files.list(store.incoming())) {
        assertThat(left).isEmpty();
      }
    }
  }

  @Test
  void aRegularFileIsCopiedWholeAndADiscardedCopyGoes() throws Exception {
    AttachmentStore store = new AttachmentStore(null, dir.resolve("profile").resolve(AttachmentStore.DIRECTORY));
    byte[] bytes = new byte[3 * 1024 * 1024 + 17];
    new java.util.Random(5).nextBytes(bytes);
    Path file = Files.write(dir.resolve("report.bin"), bytes);

    OwnCopy kept = OwnCopy.start(file, store, Clock.systemUTC());
    String name = kept.await();
    assertThat(Files.readAllBytes(store.incoming().resolve(name))).isEqualTo(bytes);

    OwnCopy dropped = OwnCopy.start(file, store, Clock.systemUTC());
    dropped.discard();
    try (Stream<Path> left = Files.list(store.incoming())) {
      assertThat(left).containsExactly(store.incoming().resolve(name));
    }
  }
}
