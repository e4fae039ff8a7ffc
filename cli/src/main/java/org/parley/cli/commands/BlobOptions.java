package org.parley.cli.commands;

import java.time.Duration;
import org.parley.cli.Durations;
import org.parley.server.blobs.BlobLimits;
import picocli.CommandLine.Option;

/** The server's bounds on blobs (attachments, history bundles): a mixin of {@code parley server}. */
public final class BlobOptions {
  @Option(
      names = "--blob-max-attachment-size",
      paramLabel = "BYTES",
      defaultValue = "104857600",
      description = "Largest attachment (the sender's file) the server takes (default: ${DEFAULT-VALUE}, 100 MiB).")
  long maxAttachmentBytes;

  @Option(
      names = "--blob-attachment-ttl",
      paramLabel = "DURATION",
      defaultValue = "30d",
      converter = Durations.class,
      description = "Delete an attachment not every addressed device fetched this long after its message (default: ${DEFAULT-VALUE}); an upload no message points to goes after a day.")
  Duration attachmentTtl;

  @Option(
      names = "--blob-max-account-bytes",
      paramLabel = "BYTES",
      defaultValue = "2147483648",
      description = "Bytes of blobs one account may have waiting on the server (default: ${DEFAULT-VALUE}, 2 GiB).")
  long maxBytesPerAccount;

  @Option(
      names = "--blob-max-account-blobs",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Blobs one account may have waiting on the server (default: ${DEFAULT-VALUE}).")
  int maxBlobsPerAccount;

  @Option(
      names = "--blob-min-free-disk",
      paramLabel = "BYTES",
      defaultValue = "1073741824",
      description = "Take no new upload that would leave less free disk than this (default: ${DEFAULT-VALUE}, 1 GiB).")
  long minFreeDiskBytes;

  BlobLimits limits() {
    if (maxAttachmentBytes < 1 || maxBytesPerAccount < 1 || maxBlobsPerAccount < 1 || minFreeDiskBytes < 0) {
      throw new IllegalArgumentException(
          "--blob-max-attachment-size, --blob-max-account-bytes and --blob-max-account-blobs must be at least 1,"
              + " --blob-min-free-disk at least 0");
    }
    return BlobLimits.defaults()
        .withMaxAttachmentBytes(maxAttachmentBytes)
        .withAttachmentTtl(attachmentTtl)
        .withMaxBytesPerAccount(maxBytesPerAccount)
        .withMaxBlobsPerAccount(maxBlobsPerAccount)
        .withMinFreeDiskBytes(minFreeDiskBytes);
  }
}
