package org.parley.client.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.ClientConfig;
import org.parley.client.ClientException;
import org.parley.client.Device;
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

  /**
   * The first time a device looks for attachments to fetch, it deletes downloads left in incoming/
   * (and the attachments/.partial/ of earlier versions) that were last written before the resume
   * window, by its own clock: here a clock in 2020, so files written "a day ago" by it are kept even
   * though the real clock is years on. Opening the profile alone walks nothing.
   */
  @Test
  void downloadsLeftLongerThanTheResumeWindowAreSweptAtTheFirstFetchByTheDevicesClock() throws Exception {
    Instant now = Instant.parse("2020-01-01T00:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    Path profile = dir.resolve("profile");
    Path incoming = Files.createDirectories(profile.resolve(AttachmentStore.INCOMING));
    Path legacy = Files.createDirectories(profile.resolve(AttachmentStore.DIRECTORY).resolve(".partial"));
    Path stale = written(incoming.resolve("old.part"), now.minus(AttachmentFetcher.RESUME_WINDOW).minusSeconds(60));
    Path staleIv = written(incoming.resolve("old.iv"), now.minus(AttachmentFetcher.RESUME_WINDOW).minusSeconds(60));
    Path staleLegacy = written(legacy.resolve("older.blob"), now.minus(Duration.ofDays(90)));
    Path recent = written(incoming.resolve("new.part"), now.minus(Duration.ofDays(1)));
    Path recentIv = written(incoming.resolve("new.iv"), now.minus(Duration.ofDays(1)));
    Path verified = written(profile.resolve(AttachmentStore.DIRECTORY).resolve("20190101-000000-aaaaaaaaaaaa.txt"), now.minus(Duration.ofDays(365)));

    try (Device device = Device.open(profile, new ClientConfig(clock, null))) {
      assertThat(stale).as("opening a profile sweeps nothing").exists();
      device.fetchAttachments(e -> {});
    }

    assertThat(stale).doesNotExist();
    assertThat(staleIv).doesNotExist();
    assertThat(staleLegacy).doesNotExist();
    assertThat(recent).exists();
    assertThat(recentIv).exists();
    assertThat(verified).as("fetched attachments are the user's, whatever their age").exists();
  }

  private static Path written(Path file, Instant modified) throws Exception {
    Files.write(file, new byte[] {1, 2, 3});
    Files.setLastModifiedTime(file, FileTime.from(modified));
    return file;
  }
}
