package org.parley.server.blobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.blobs.BlobStore.Blob;
import org.parley.server.blobs.BlobStore.Kind;

/** What the embedded store does about a power cut between its steps (the contract suite covers the rest). */
class FileBlobStoreTest {
  @TempDir Path dir;

  /**
   * The rename of a completed blob is not fsynced (the index row is the commit point): a power cut
   * that lost it leaves the blob's bytes under its part's name, and they are served from there.
   */
  @Test
  void aCompletedBlobWhoseRenameWasLostIsReadFromItsPart() throws Exception {
    byte[] bytes = new byte[70_000];
    new Random(3).nextBytes(bytes);
    String id;
    try (FileBlobStore store = new FileBlobStore(dir)) {
      Blob blob = store.reserve(UUID.randomUUID(), 1, Kind.ATTACHMENT, bytes.length, 10_000);
      id = blob.id();
      try (BlobStore.Upload upload = store.upload(id, 0)) {
        upload.write(ByteBuffer.wrap(bytes));
        upload.complete(20_000);
      }
    }
    // as a power cut that kept the row's commit but not the directory's rename would leave it
    Files.move(dir.resolve(id + ".blob"), dir.resolve(id + ".part"));

    try (FileBlobStore store = new FileBlobStore(dir)) {
      assertThat(store.find(id).orElseThrow().uploaded()).isTrue();
      try (InputStream in = store.open(id, 0)) {
        assertThat(in.readAllBytes()).isEqualTo(bytes);
      }
      assertThat(store.expire(19_999)).as("not swept as an orphan").isZero();
      try (InputStream in = store.open(id, 69_000)) {
        assertThat(in.readAllBytes()).hasSize(1000);
      }
      assertThat(store.delete(id)).isTrue();
      assertThat(dir.resolve(id + ".part")).doesNotExist();
    }
  }
}
