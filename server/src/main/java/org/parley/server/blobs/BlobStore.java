package org.parley.server.blobs;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Optional;
import java.util.UUID;
import org.parley.server.store.DeviceAddress;

/**
 * Encrypted blobs (history bundles, attachments) between upload and fetch: their bytes, who owns
 * them and who they were sent to. The store keeps state; deciding who may do what, and when a blob
 * has lived long enough, is {@link BlobAccess}'s and {@link BlobService}'s. Embedded: {@link
 * FileBlobStore}; a clustered store (every node reaching the same blobs) implements the same
 * interface and passes the same contract suite.
 */
public interface BlobStore extends AutoCloseable {
  enum Kind {
    /** A history bundle (DESIGN.md §7): for the account's own devices. */
    HISTORY,
    /** An attachment (§15): for the devices its message was addressed to. */
    ATTACHMENT
  }

  /**
   * A reserved or uploaded blob.
   *
   * @param uploader the device that reserved it; only it may upload
   * @param received the bytes held so far (an upload resumes after them)
   * @param uploaded whether all {@code size} bytes are stored for good (until then nobody may fetch it)
   */
  record Blob(
      String id, UUID account, int uploader, Kind kind, long size, long received, long expiresAt, boolean uploaded) {}

  /** What an account holds: blobs reserved or stored and not yet deleted, and their reserved bytes. */
  record Usage(int blobs, long bytes) {}

  /** Reserves a new blob (random, unguessable id, {@link BlobIds}) for exactly {@code size} bytes. */
  Blob reserve(UUID account, int uploader, Kind kind, long size, long expiresAt) throws IOException;

  Optional<Blob> find(String id) throws IOException;

  Usage usage(UUID account) throws IOException;

  /**
   * Bytes that new blobs may still take: the free space where bytes go, less what reserved blobs
   * may still write. {@link Long#MAX_VALUE} if the store cannot tell.
   */
  long freeSpace() throws IOException;

  /**
   * Starts or continues receiving a reserved blob's bytes at {@code offset}, which must be the bytes
   * held ({@link Blob#received}) or 0 to start over. A newer upload of a blob supersedes an older one
   * still open: the older one's next write fails. Refused once the blob is uploaded.
   */
  Upload upload(String id, long offset) throws IOException;

  /** The stored bytes from {@code offset} on. */
  InputStream open(String id, long offset) throws IOException;

  /**
   * Adds devices an attachment was sent to (idempotent): they may fetch it, and it waits for them,
   * at least until {@code keepUntil} (an expiry earlier than that moves back to it, a later one stays).
   * In one step with checking that it is uploaded and not expired at {@code now}: false, and nothing
   * added, if it is not (so a sweep between a check and this can never leave a message pointing to a
   * deleted blob).
   */
  boolean address(String id, Collection<DeviceAddress> devices, long now, long keepUntil) throws IOException;

  /** Whether any device of the account was addressed. */
  boolean addressed(String id, UUID account) throws IOException;

  /** Whether any device at all was addressed: a message points to the blob. */
  boolean addressedToAnyone(String id) throws IOException;

  /**
   * Notes that an addressed device has the blob. Returns how many addressed devices do not have it
   * yet, or -1 if the device was not addressed (nothing noted).
   */
  int fetched(String id, DeviceAddress device) throws IOException;

  /** Brings a blob's expiry forward (never back): a fetched blob lingers only to let a cut download resume. */
  void expireBy(String id, long expiresAt) throws IOException;

  /** Deletes a blob and whatever part of it was uploaded; false if there was none. */
  boolean delete(String id) throws IOException;

  /** Deletes every blob that expired at or before {@code now}; returns how many. */
  int expire(long now) throws IOException;

  @Override
  void close();

  /** The bytes of one upload, in order, from its starting offset. */
  interface Upload extends Closeable {
    void write(ByteBuffer bytes) throws IOException;

    /** The bytes the blob holds now: the starting offset plus what this upload wrote. */
    long written();

    /**
     * Makes the blob fetchable, durably, once exactly its reserved size is held; from then on it
     * expires at {@code expiresAt}.
     */
    void complete(long expiresAt) throws IOException;

    /** Ends the upload; what was written stays held (durably) for a later upload to continue. */
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
