package org.parley.server.blobs;

import java.time.Duration;
import org.parley.protocol.attachments.AttachmentSizes;

/**
 * Every bound on blobs (DESIGN.md §11, §15), so each can be named in a refusal and tuned.
 *
 * @param maxHistoryBytes largest history bundle one upload may reserve
 * @param maxAttachmentBytes largest attachment, as the sender's file (before padding and encryption)
 * @param historyTtl how long a history bundle is kept once uploaded, fetched or not
 * @param attachmentTtl how long an attachment is kept once uploaded when not every device it was sent to fetched it
 * @param uploadWindow how long a reserved slot waits for its upload to complete (resumes included), and an
 *     uploaded attachment for a message to point to it (then it is kept for {@code attachmentTtl})
 * @param maxBlobsPerAccount blobs an account may have reserved or stored at once
 * @param maxBytesPerAccount bytes an account may have reserved or stored at once
 * @param minFreeDiskBytes no new upload is taken once it would leave less free space than this
 */
public record BlobLimits(
    long maxHistoryBytes,
    long maxAttachmentBytes,
    Duration historyTtl,
    Duration attachmentTtl,
    Duration uploadWindow,
    int maxBlobsPerAccount,
    long maxBytesPerAccount,
    long minFreeDiskBytes) {

  private static final long MIB = 1024L * 1024;

  public static BlobLimits defaults() {
    return new BlobLimits(
        512 * MIB, 100 * MIB, Duration.ofHours(24), Duration.ofDays(30), Duration.ofHours(24), 1000, 2048 * MIB,
        1024 * MIB);
  }

  /** The largest blob an attachment of {@link #maxAttachmentBytes} becomes once padded and encrypted. */
  public long maxAttachmentBlobBytes() {
    return AttachmentSizes.encryptedSize(maxAttachmentBytes);
  }

  public BlobLimits withMaxHistoryBytes(long value) {
    return new BlobLimits(value, maxAttachmentBytes, historyTtl, attachmentTtl, uploadWindow, maxBlobsPerAccount,
        maxBytesPerAccount, minFreeDiskBytes);
  }

  public BlobLimits withMaxAttachmentBytes(long value) {
    return new BlobLimits(maxHistoryBytes, value, historyTtl, attachmentTtl, uploadWindow, maxBlobsPerAccount,
        maxBytesPerAccount, minFreeDiskBytes);
  }

  public BlobLimits withHistoryTtl(Duration value) {
    return new BlobLimits(maxHistoryBytes, maxAttachmentBytes, value, attachmentTtl, uploadWindow, maxBlobsPerAccount,
        maxBytesPerAccount, minFreeDiskBytes);
  }

  public BlobLimits withAttachmentTtl(Duration value) {
    return new BlobLimits(maxHistoryBytes, maxAttachmentBytes, historyTtl, value, uploadWindow, maxBlobsPerAccount,
        maxBytesPerAccount, minFreeDiskBytes);
  }

  public BlobLimits withUploadWindow(Duration value) {
    return new BlobLimits(maxHistoryBytes, maxAttachmentBytes, historyTtl, attachmentTtl, value, maxBlobsPerAccount,
        maxBytesPerAccount, minFreeDiskBytes);
  }

  public BlobLimits withMaxBlobsPerAccount(int value) {
    return new BlobLimits(maxHistoryBytes, maxAttachmentBytes, historyTtl, attachmentTtl, uploadWindow, value,
        maxBytesPerAccount, minFreeDiskBytes);
  }

  public BlobLimits withMaxBytesPerAccount(long value) {
    return new BlobLimits(maxHistoryBytes, maxAttachmentBytes, historyTtl, attachmentTtl, uploadWindow,
        maxBlobsPerAccount, value, minFreeDiskBytes);
  }

  public BlobLimits withMinFreeDiskBytes(long value) {
    return new BlobLimits(maxHistoryBytes, maxAttachmentBytes, historyTtl, attachmentTtl, uploadWindow,
        maxBlobsPerAccount, maxBytesPerAccount, value);
  }
}
