package org.parley.server.blobs;

import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import org.parley.protocol.wire.Status;
import org.parley.server.blobs.BlobStore.Kind;
import org.parley.server.limits.Throttle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every quota on blobs, checked before a blob is reserved and before a byte moves: the size for
 * its kind, the account's blobs and bytes waiting on the server, the disk kept free. One place for
 * both ways of reserving (the WebSocket's CreateBlobUpload and HTTP's creation-with-upload POST).
 */
final class BlobQuota {
  private static final Logger log = LoggerFactory.getLogger(BlobQuota.class);
  /** How long a client waits before asking again once the disk is nearly full. */
  private static final Duration DISK_FULL_RETRY = Duration.ofMinutes(15);

  /** Why a blob is refused: the status, the reason in words, and when asking again may succeed (or null). */
  record Refusal(Status status, String reason, Duration retryAfter) {
    /** The reason with the wait in words, as every refusal that passes with time says it. */
    String text() {
      return retryAfter == null ? reason : Throttle.sentence(reason, retryAfter);
    }
  }

  /** A reserved blob, or why none was. */
  record Reservation(BlobStore.Blob blob, Refusal refusal) {}

  private static final int STRIPES = 64;

  private final BlobStore store;
  private final BlobLimits limits;
  /**
   * One account's check and reservation at a time (by a stripe of locks): otherwise any number of
   * requests from one account, each on its own connection, would all pass the check before any of
   * them reserved, and hold the quota many times over. Within this node; nodes of a cluster each
   * keep their own.
   */
  private final java.util.concurrent.locks.ReentrantLock[] stripes = new java.util.concurrent.locks.ReentrantLock[STRIPES];

  BlobQuota(BlobStore store, BlobLimits limits) {
    this.store = store;
    this.limits = limits;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new java.util.concurrent.locks.ReentrantLock();
    }
  }

  /** Checks every quota and reserves the blob if they allow it, as one step for the account. */
  Reservation reserve(UUID account, int uploader, Kind kind, long size, long expiresAt) throws IOException {
    java.util.concurrent.locks.ReentrantLock stripe = stripes[Math.floorMod(account.hashCode(), STRIPES)];
    stripe.lock();
    try {
      Refusal refusal = check(account, kind, size);
      return refusal != null
          ? new Reservation(null, refusal)
          : new Reservation(store.reserve(account, uploader, kind, size, expiresAt), null);
    } finally {
      stripe.unlock();
    }
  }

  /** Null if {@code account} may reserve a blob of {@code size} bytes of this kind now, else why not. */
  private Refusal check(UUID account, Kind kind, long size) throws IOException {
    if (size <= 0) {
      return new Refusal(Status.BAD_REQUEST, "a blob must have a size of at least one byte", null);
    }
    if (kind == Kind.HISTORY && size > limits.maxHistoryBytes()) {
      return new Refusal(
          Status.TOO_LARGE,
          "a history bundle of " + size + " bytes is larger than this server accepts (" + limits.maxHistoryBytes() + " bytes)",
          null);
    }
    if (kind == Kind.ATTACHMENT && size > limits.maxAttachmentBlobBytes()) {
      return new Refusal(
          Status.TOO_LARGE,
          "this server takes attachments of at most " + mib(limits.maxAttachmentBytes()) + " ("
              + limits.maxAttachmentBytes() + " bytes); send a smaller file",
          null);
    }
    BlobStore.Usage usage = store.usage(account);
    if (usage.blobs() >= limits.maxBlobsPerAccount()) {
      return new Refusal(
          Status.LIMIT_REACHED,
          "this account already has " + usage.blobs() + " blobs waiting on the server (at most "
              + limits.maxBlobsPerAccount() + "); room comes back once they have been fetched or have expired",
          Throttle.UNTIL_OTHERS_ACT);
    }
    if (usage.bytes() + size > limits.maxBytesPerAccount()) {
      return new Refusal(
          Status.LIMIT_REACHED,
          "this account already has " + mib(usage.bytes()) + " of blobs waiting on the server and may have at most "
              + mib(limits.maxBytesPerAccount()) + "; room comes back once they have been fetched or have expired",
          Throttle.UNTIL_OTHERS_ACT);
    }
    long free = store.freeSpace();
    if (free - size < limits.minFreeDiskBytes()) {
      log.warn("refusing a blob of {} bytes: {} bytes free, {} kept free", size, free, limits.minFreeDiskBytes());
      // Freeing disk is the operator's work, so the wait is a guess: long enough not to be polled.
      return new Refusal(Status.STORAGE_FULL, "the server's disk is nearly full, so it takes no new files now", DISK_FULL_RETRY);
    }
    return null;
  }

  static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
