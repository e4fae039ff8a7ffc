package org.parley.client.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.function.LongConsumer;
import org.parley.client.ClientException;
import org.parley.client.history.BlobTransfer;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.AttachmentStore.Held;
import org.parley.protocol.PrivateFiles;
import org.parley.protocol.attachments.AttachmentDecryptor;
import org.parley.protocol.attachments.AttachmentException;
import org.parley.protocol.attachments.AttachmentKeys;
import org.parley.protocol.attachments.AttachmentSizes;
import org.parley.protocol.attachments.AttachmentVerifier;
import org.parley.protocol.wire.AttachmentPointer;

/**
 * Fetches an attachment into the profile (docs/PROTOCOL.md §14): the blob is downloaded into {@code
 * attachments/.partial/} (resumable: a download that broke off continues after the bytes there),
 * its length, digest and MAC are checked over the whole file, and only then is it decrypted, into
 * a temporary file beside the others, which is moved into place under a name made up here. Nothing
 * the user can open exists before the checks have passed; the sender's file name is never a path.
 */
public final class AttachmentFetcher {
  static final String PARTIAL = ".partial";
  private static final int ATTEMPTS = 3;
  /** Larger than any server takes (its bound is configurable): a pointer stating more is not believed. */
  private static final long MAX_SIZE = 1L << 36;
  private static final int CHUNK = 64 * 1024;
  /** Disk kept free beyond what a fetch needs (the blob and the plaintext, side by side). */
  private static final long DISK_MARGIN = 64L * 1024 * 1024;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a fetch did: where the plaintext is, and the offset the download continued from. */
  public record Fetched(Path path, long resumedFrom) {}

  private final BlobTransfer transfer;
  private final AttachmentStore store;
  private final Clock clock;
  private final LongConsumer progress;

  /** @param progress hears the bytes of the blob held so far (tests stop a download with it) */
  public AttachmentFetcher(BlobTransfer transfer, AttachmentStore store, Clock clock, LongConsumer progress) {
    this.transfer = transfer;
    this.store = store;
    this.clock = clock;
    this.progress = progress;
  }

  /**
   * Fetches, verifies, decrypts and stores the attachment, and records it as fetched; a blob that
   * fails a check is deleted, recorded as failed and refused with the reason. A download that keeps
   * breaking off stays resumable and is refused with a hint to try again.
   */
  public Fetched fetch(Held held) {
    AttachmentPointer pointer = held.pointer();
    String malformed = AttachmentStore.malformed(pointer);
    if (malformed != null) {
      // Before anything touches the file system: the blob id becomes a file name.
      store.failed(held, malformed);
      throw new ClientException("ATTACHMENT_REFUSED", "an attachment was refused: " + malformed, null);
    }
    try {
      Fetched fetched = fetch(pointer);
      store.fetched(held, store.root().relativize(fetched.path()).toString());
      try {
        // Only now that it verified may the server count this device's copy (it deletes the blob once all have).
        transfer.confirm(pointer.getBlobId());
      } catch (ClientException e) {
        // The server deletes it at expiry instead.
      }
      return fetched;
    } catch (AttachmentException e) {
      discard(pointer);
      store.failed(held, e.getMessage());
      throw new ClientException("ATTACHMENT_REFUSED", "attachment " + pointer.getBlobId() + " was refused: " + e.getMessage(), e);
    } catch (BlobTransfer.Refused e) {
      String reason =
          e.status == 404
              ? "the server no longer holds it (every device it was sent to fetched it, or it expired)"
              : "the server refused it (" + e.getMessage() + ")";
      discard(pointer);
      store.failed(held, reason);
      throw new ClientException("ATTACHMENT_UNAVAILABLE", "attachment " + pointer.getBlobId() + " could not be fetched: " + reason, e);
    } catch (IOException e) {
      throw new ClientException(
          "the download of attachment " + pointer.getBlobId() + " broke off (" + e.getMessage() + "); 'parley attachment get "
              + pointer.getBlobId() + "' continues it",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientException("the download of attachment " + pointer.getBlobId() + " was interrupted", e);
    } catch (ClientException e) {
      throw e; // broke off (it stays pending and is tried again, a bounded number of times)
    } catch (RuntimeException e) {
      // Whatever else one sender's pointer provokes stays with that attachment: receiving goes on.
      discard(pointer);
      store.failed(held, "it could not be fetched (" + e.getMessage() + ")");
      throw new ClientException("ATTACHMENT_REFUSED", "attachment " + pointer.getBlobId() + " could not be fetched: " + e.getMessage(), e);
    }
  }

  private Fetched fetch(AttachmentPointer pointer) throws IOException, InterruptedException {
    if (pointer.getSize() < 0 || pointer.getSize() > MAX_SIZE) {
      throw new AttachmentException("its pointer states an impossible size (" + pointer.getSize() + " bytes)");
    }
    long length = AttachmentSizes.encryptedSize(pointer.getSize());
    Path partials = store.root().resolve(PARTIAL);
    PrivateFiles.directory(store.root());
    PrivateFiles.directory(partials);
    // The blob id was checked above (AttachmentStore.malformed: [A-Za-z0-9_-]{1,64}): safe as a file name.
    Path blob = partials.resolve(pointer.getBlobId() + ".blob");
    long held = Files.exists(blob) ? Files.size(blob) : 0;
    long needed = (length - held) + pointer.getSize() + DISK_MARGIN;
    if (Files.getFileStore(partials).getUsableSpace() < needed) {
      throw new AttachmentException(
          "there is not enough free disk for it (" + needed + " bytes are needed); free some, then fetch it with"
              + " 'parley attachment get " + pointer.getBlobId() + "'");
    }
    if (!Files.exists(blob)) {
      PrivateFiles.file(blob);
    }
    long resumedFrom = -1;
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS && (!Files.exists(blob) || Files.size(blob) < length); attempt++) {
      try {
        long from = transfer.fetch(pointer.getBlobId(), blob, length, progress);
        resumedFrom = resumedFrom < 0 ? from : resumedFrom;
      } catch (BlobTransfer.Refused e) {
        throw e;
      } catch (IOException e) {
        last = e;
      }
    }
    if (!Files.exists(blob) || Files.size(blob) < length) {
      throw last != null ? last : new IOException("the server sent fewer bytes than the blob has");
    }
    try {
      verify(blob, pointer);
    } catch (AttachmentException e) {
      Files.deleteIfExists(blob);
      throw e;
    }
    Path plain = partials.resolve(pointer.getBlobId() + ".plain");
    Path stored;
    try {
      PrivateFiles.file(plain); // the owner's alone, like the rest of the profile
      try (InputStream in = Files.newInputStream(blob);
          OutputStream out = Files.newOutputStream(plain)) {
        AttachmentDecryptor.decrypt(in, out, new AttachmentKeys(pointer.getKey().toByteArray()), pointer.getSize());
      }
      stored = store.root().resolve(name(plain));
      move(plain, stored);
    } catch (IOException | RuntimeException e) {
      // Decrypting again from the verified blob is cheap: no half-written plaintext is kept.
      Files.deleteIfExists(plain);
      throw e;
    }
    Files.deleteIfExists(blob);
    return new Fetched(stored, Math.max(0, resumedFrom));
  }

  /**
   * Deletes what the download left in {@code .partial/} once the attachment is failed: it is not
   * resumed, so a sender (or server) that makes fetches fail must not fill the disk with blobs. Only
   * a download that broke off keeps its bytes (the row stays pending). The blob id was checked by
   * then (AttachmentStore.malformed), so it names a file in {@code .partial/} and nothing else.
   */
  private void discard(AttachmentPointer pointer) {
    Path partials = store.root().resolve(PARTIAL);
    for (String suffix : new String[] {".blob", ".plain"}) {
      try {
        Files.deleteIfExists(partials.resolve(pointer.getBlobId() + suffix));
      } catch (IOException | RuntimeException e) {
        // The refusal below is what matters; a file that cannot be deleted now goes when this blob is fetched again.
      }
    }
  }

  /** Length, digest and MAC over the whole blob, in a fixed buffer. */
  private static void verify(Path blob, AttachmentPointer pointer) throws IOException {
    AttachmentVerifier verifier = new AttachmentVerifier(new AttachmentKeys(pointer.getKey().toByteArray()), pointer.getSize());
    try (InputStream in = Files.newInputStream(blob)) {
      byte[] buffer = new byte[CHUNK];
      for (int n; (n = in.read(buffer)) > 0; ) {
        verifier.update(buffer, 0, n);
      }
    }
    verifier.verify(pointer.getDigest().toByteArray());
  }

  /** A name made up here: the time, random hex, and the extension of the type sniffed from the plaintext. */
  private String name(Path plain) throws IOException {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return STAMP.format(clock.instant()) + "-" + HexFormat.of().formatHex(random) + ContentTypes.extension(ContentTypes.sniff(plain));
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }
}
