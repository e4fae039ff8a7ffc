package org.parley.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.parley.server.blobs.BlobStore;
import org.parley.server.blobs.BlobStore.Blob;
import org.parley.server.blobs.BlobStore.Kind;
import org.parley.server.testing.TestPostgres;

/**
 * Two nodes on one database, what the contract suite cannot say with one store: an upload cut on one
 * node resumes on another, a newer upload on another node stops an older one, and the bytes are
 * kept in chunks that a download reads one at a time.
 * One schema for the class: every test works on blobs of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresBlobStoreTest {
  static final long LATER = 4_000_000_000_000L;
  static final int CHUNK = PostgresBlobStore.CHUNK_BYTES;

  final TestPostgres.Schema schema = TestPostgres.createSchema("blobnodes");
  final PostgresBlobStore nodeA = new PostgresBlobStore(StoreUrl.parse(schema.storeUrl()));
  final PostgresBlobStore nodeB = new PostgresBlobStore(StoreUrl.parse(schema.storeUrl()));
  final UUID alice = UUID.randomUUID();
  final byte[] bytes = random(3 * CHUNK + 1234);

  @AfterAll
  void close() {
    nodeA.close();
    nodeB.close();
    schema.drop();
  }

  /**
   * A sweep on one node that waits on a message's keep of the blob on another (address()'s update, not
   * committed yet) deletes it only if it is still expired as that keep left it: the message never
   * points to a deleted blob.
   */
  @Test
  void aSweepWaitingOnAKeepOfTheBlobLeavesItKept() throws Exception {
    Blob blob = nodeA.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, 500);
    try (BlobStore.Upload upload = nodeA.upload(blob.id(), 0)) {
      write(upload, 0, bytes.length);
      upload.complete(1000);
    }
    try (java.sql.Connection keep = java.sql.DriverManager.getConnection("jdbc:" + schema.storeUrl())) {
      keep.setAutoCommit(false);
      try (java.sql.PreparedStatement update =
          keep.prepareStatement(
              "UPDATE blobs SET expires_at = GREATEST(expires_at, ?) WHERE id = ? AND uploaded AND expires_at > ?")) {
        update.setLong(1, 9000);
        update.setString(2, blob.id());
        update.setLong(3, 999);
        assertThat(update.executeUpdate()).isEqualTo(1);
      }
      java.util.concurrent.CompletableFuture<Integer> sweep =
          java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
              return nodeB.expire(1000);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> sweepsWaiting(keep) >= 1);
      keep.commit();
      sweep.get(20, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertThat(nodeA.find(blob.id())).as("kept by the message, not swept").isPresent();
    assertThat(nodeA.find(blob.id()).orElseThrow().expiresAt()).isEqualTo(9000);
  }

  /** Sweeps of this database waiting for a row lock. */
  private static int sweepsWaiting(java.sql.Connection c) throws java.sql.SQLException {
    try (java.sql.Statement select = c.createStatement();
        java.sql.ResultSet rs =
            select.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    + " AND query LIKE 'DELETE FROM blobs%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void anUploadCutOnOneNodeResumesOnAnotherAndIsReadOnAThird() throws Exception {
    Blob blob = nodeA.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, LATER);
    try (BlobStore.Upload upload = nodeA.upload(blob.id(), 0)) {
      write(upload, 0, CHUNK + 5000);
    }
    long held = nodeB.find(blob.id()).orElseThrow().received();
    assertThat(held).isEqualTo(CHUNK + 5000);

    try (BlobStore.Upload upload = nodeB.upload(blob.id(), held)) {
      write(upload, (int) held, bytes.length - (int) held);
      upload.complete(LATER);
    }
    try (PostgresBlobStore nodeC = new PostgresBlobStore(StoreUrl.parse(schema.storeUrl()));
        InputStream in = nodeC.open(blob.id(), 0)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void aNewerUploadOnAnotherNodeStopsTheOlderOneAndNoneOfItsLaterBytesAreKept() throws Exception {
    Blob blob = nodeA.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, LATER);
    BlobStore.Upload stale = nodeA.upload(blob.id(), 0);
    write(stale, 0, CHUNK + 10);
    long held = nodeB.find(blob.id()).orElseThrow().received();
    assertThat(held).as("one chunk appended, ten bytes gathered").isEqualTo(CHUNK);

    BlobStore.Upload fresh = nodeB.upload(blob.id(), held);
    byte[] garbage = random(CHUNK);
    assertThatThrownBy(() -> stale.write(ByteBuffer.wrap(garbage)))
        .isInstanceOf(BlobStore.StateException.class)
        .hasMessageContaining("newer upload");
    stale.close();

    write(fresh, (int) held, bytes.length - (int) held);
    fresh.complete(LATER);
    try (InputStream in = nodeA.open(blob.id(), 0)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
  }

  @Test
  void anUploadOfABlobExpiredByAnotherNodeStops() throws Exception {
    Blob blob = nodeA.reserve(alice, 1, Kind.ATTACHMENT, bytes.length, 1000);
    BlobStore.Upload upload = nodeA.upload(blob.id(), 0);
    write(upload, 0, 100);
    assertThat(nodeB.expire(1000)).isEqualTo(1);

    assertThatThrownBy(upload::close)
        .isInstanceOf(BlobStore.StateException.class)
        .hasMessageContaining("expired or was deleted");
    assertThat(chunks(blob.id())).isZero();
  }

  @Test
  void bytesAreKeptInChunksAndReadFromAnyOffsetAcrossThem() throws Exception {
    Blob blob = nodeA.reserve(alice, 1, Kind.HISTORY, bytes.length, LATER);
    try (BlobStore.Upload upload = nodeA.upload(blob.id(), 0)) {
      write(upload, 0, bytes.length);
      upload.complete(LATER);
    }
    assertThat(chunks(blob.id())).isEqualTo(4);

    for (int offset : new int[] {CHUNK - 1, CHUNK, 2 * CHUNK + 77, bytes.length - 1, bytes.length}) {
      try (InputStream in = nodeB.open(blob.id(), offset)) {
        assertThat(in.readAllBytes()).as("from %d", offset).isEqualTo(Arrays.copyOfRange(bytes, offset, bytes.length));
      }
    }
    assertThat(nodeB.delete(blob.id())).isTrue();
    assertThat(chunks(blob.id())).isZero();
  }

  private int chunks(String id) throws Exception {
    try (Connection c = DriverManager.getConnection(StoreUrl.parse(schema.storeUrl()).jdbcUrl());
        PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM blob_chunks WHERE blob_id = ?")) {
      count.setString(1, id);
      try (ResultSet rs = count.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private void write(BlobStore.Upload upload, int from, int length) throws Exception {
    for (int at = from; at < from + length; ) {
      int n = Math.min(from + length - at, 16 * 1024);
      upload.write(ByteBuffer.wrap(bytes, at, n));
      at += n;
    }
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }
}
