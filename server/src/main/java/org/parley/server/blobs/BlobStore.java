package org.parley.server.blobs;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.UUID;

/**
 * Encrypted blobs (history bundles, later attachments) between upload and fetch. The store only
 * keeps bytes and who may have them; deciding who may do what, and when a blob has lived long
 * enough, is the caller's. Embedded: files beside the database ({@link FileBlobStore}); a clustered
 * store (object storage) implements the same interface.
 */
public interface BlobStore {
  /**
   * A reserved or uploaded blob.
   *
   * @param uploader the device that reserved it; only it may upload
   * @param uploaded whether all {@code size} bytes are stored (until then nobody may fetch it)
   */
  record Blob(String id, UUID account, int uploader, long size, long expiresAt, boolean uploaded) {}

  /** Reserves a new blob id (random, unguessable) for {@code size} bytes. */
  Blob reserve(UUID account, int uploader, long size, long expiresAt) throws IOException;

  Optional<Blob> find(String id) throws IOException;

  /** Blobs of an account that are reserved or stored and not yet deleted. */
  int count(UUID account) throws IOException;

  /**
   * Starts receiving a reserved blob's bytes. Refused while another upload of it is under way or
   * once it is stored.
   */
  Upload upload(String id) throws IOException;

  /** The stored bytes from {@code offset} on. */
  InputStream open(String id, long offset) throws IOException;

  /** Brings a blob's expiry forward (never back): a fetched blob lingers only to let a cut download resume. */
  void expireBy(String id, long expiresAt) throws IOException;

  /** Deletes a blob and whatever part of it was uploaded; false if there was none. */
  boolean delete(String id) throws IOException;

  /** Deletes every blob that expired at or before {@code now}; returns how many. */
  int expire(long now) throws IOException;

  /** The bytes of one upload, in order. Closing it before {@link #complete} discards them. */
  interface Upload extends Closeable {
    void write(ByteBuffer bytes) throws IOException;

    long written();

    /** Makes the blob fetchable once exactly its reserved size has been written, durably. */
    void complete() throws IOException;

    @Override
    void close() throws IOException;
  }

  /** A request the store cannot carry out in the blob's present state (the message says why). */
  final class StateException extends IOException {
    public StateException(String message) {
      super(message);
    }
  }
}
