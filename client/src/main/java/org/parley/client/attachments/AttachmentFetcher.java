package org.parley.client.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.parley.protocol.DurableFiles;
import org.parley.protocol.PrivateFiles;
import org.parley.protocol.attachments.AttachmentException;
import org.parley.protocol.attachments.AttachmentKeys;
import org.parley.protocol.attachments.AttachmentSizes;
import org.parley.protocol.attachments.DecryptingVerifier;
import org.parley.protocol.wire.AttachmentPointer;

/**
 * Fetches an attachment into the profile (docs/PROTOCOL.md §14) in one pass: as the blob arrives its
 * digest and MAC are taken and it is decrypted into a private file in the profile's {@code
 * incoming/} (beside {@code attachments/}, not in it), which is moved into {@code attachments/}
 * under a name made up here only once the length, digest, MAC and padding have all passed; a blob
 * that fails one is deleted. A download that broke off continues after the plaintext written (its
 * IV is kept beside it). Nothing the user can open exists before the checks have passed; the
 * sender's file name is never a path.
 *
 * <p>The move survives a crash at any point: the verified plaintext is fsynced, its new name recorded
 * in the profile (still pending), then it is renamed and the directory fsynced, and only then is it
 * recorded fetched. A fetch that finds its recorded name on disk takes that file (it was verified
 * and whole before it got that name) rather than leave it behind and fetch the blob again.
 */
public final class AttachmentFetcher {
  /** The plaintext of a download so far, unverified, in {@code incoming/}. */
  static final String PART = ".part";
  /** The blob's IV, beside its part: what resuming needs besides the plaintext. */
  static final String IV = ".iv";
  /** Where versions before incoming/ kept downloads (the blob, then its plaintext), inside attachments/. */
  static final String LEGACY_PARTIAL = ".partial";
  /**
   * How long a download that broke off is worth keeping: as long as a server keeps an attachment
   * not every device has fetched (30 days by default, docs/PROTOCOL.md §14).
   */
  public static final java.time.Duration RESUME_WINDOW = java.time.Duration.ofDays(30);
  private static final int ATTEMPTS = 3;
  /** Refusals that fetching again will not change: the blob is gone, or not for this device. */
  private static final java.util.Set<Integer> FINAL = java.util.Set.of(401, 403, 404, 410);
  /** Larger than any server takes (its bound is configurable): a pointer stating more is not believed. */
  private static final long MAX_SIZE = 1L << 36;
  private static final int CHUNK = 64 * 1024;
  /** Disk kept free beyond what a fetch needs (the plaintext). */
  private static final long DISK_MARGIN = 64L * 1024 * 1024;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What a fetch did: where the plaintext is, and the offset the download continued from. */
  public record Fetched(Path path, long resumedFrom) {}

  private final BlobTransfer transfer;
  private final AttachmentStore store;
  private final Clock clock;
  private final LongConsumer progress;
  private final Runnable afterRename;

  /** @param progress hears the bytes of the blob held so far (tests stop a download with it) */
  public AttachmentFetcher(BlobTransfer transfer, AttachmentStore store, Clock clock, LongConsumer progress) {
    this(transfer, store, clock, progress, () -> {});
  }

  /** @param afterRename runs between the rename into attachments/ and the row's update (tests crash there) */
  public AttachmentFetcher(
      BlobTransfer transfer, AttachmentStore store, Clock clock, LongConsumer progress, Runnable afterRename) {
    this.transfer = transfer;
    this.store = store;
    this.clock = clock;
    this.progress = progress;
    this.afterRename = afterRename;
  }

  /**
   * Fetches, verifies, decrypts and stores the attachment, and records it as fetched (then {@link
   * #confirm} it); a blob that fails a check is deleted, recorded as failed and refused with the reason. A download that keeps
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
      Path placed = placedBeforeACrash(held);
      if (placed != null) {
        store.fetched(held, held.path());
        return new Fetched(placed, pointer.getSize());
      }
      Fetched verified = fetch(pointer);
      return new Fetched(place(held, verified.path()), verified.resumedFrom());
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
    long size = pointer.getSize();
    long length = AttachmentSizes.encryptedSize(size);
    Path incoming = store.incoming();
    PrivateFiles.directory(store.root());
    PrivateFiles.directory(incoming);
    // The blob id was checked above (AttachmentStore.malformed: [A-Za-z0-9_-]{1,64}): safe as a file name.
    Path part = incoming.resolve(pointer.getBlobId() + PART);
    Path ivFile = incoming.resolve(pointer.getBlobId() + IV);
    long held = Files.exists(part) ? Files.size(part) : 0;
    long needed = Math.max(0, size - held) + DISK_MARGIN;
    if (Files.getFileStore(incoming).getUsableSpace() < needed) {
      throw new AttachmentException(
          "there is not enough free disk for it (" + needed + " bytes are needed); free some, then fetch it with"
              + " 'parley attachment get " + pointer.getBlobId() + "'");
    }
    AttachmentKeys keys = new AttachmentKeys(pointer.getKey().toByteArray());
    long resumedFrom;
    PrivateFiles.file(part); // the owner's alone, like the rest of the profile
    try (FileChannel out = FileChannel.open(part, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      DecryptingVerifier verifier = resume(keys, size, out, ivFile);
      resumedFrom = verifier.position();
      try {
        download(pointer, keys, out, ivFile, verifier);
      } catch (AttachmentException e) {
        if (resumedFrom == 0) {
          throw e;
        }
        // What was stored before may be what failed (a power cut can leave a part's tail zeros): the
        // blob is fetched once more from its start before it is refused.
        out.truncate(0);
        Files.deleteIfExists(ivFile);
        resumedFrom = 0;
        download(pointer, keys, out, ivFile, resume(keys, size, out, ivFile));
      }
      // On disk before it gets the name that says "verified" (see place).
      out.force(true);
    } finally {
      stamp(part, ivFile);
    }
    Files.deleteIfExists(ivFile);
    return new Fetched(part, resumedFrom);
  }

  /**
   * Moves a verified plaintext from {@code incoming/} into {@code attachments/} and records it fetched:
   * its name first (the row still pending), then the rename made durable, then the status, so that a
   * crash between them leaves a row that names its file ({@link #placedBeforeACrash}), never a file
   * no row names.
   */
  private Path place(Held held, Path part) throws IOException {
    String name;
    Path stored;
    try {
      name = name(part);
      stored = store.root().resolve(name);
      store.placing(held, name);
      DurableFiles.move(part, stored);
    } catch (IOException | RuntimeException e) {
      // The verified plaintext is dropped rather than left half moved; fetching again is cheap.
      Files.deleteIfExists(part);
      throw e;
    }
    afterRename.run();
    store.fetched(held, name);
    return stored;
  }

  /**
   * The file of an attachment moved into {@code attachments/} by a fetch that crashed before it
   * recorded it fetched, or null: a pending row that names a regular file there. Such a file was
   * verified and fsynced before it got that name. A sender's own copy ({@link OwnCopy}) may still be
   * in {@code incoming/} under that name (fsynced before its row named it; the device died before the
   * rename): it is moved into place now.
   */
  private Path placedBeforeACrash(Held held) throws IOException {
    if (!AttachmentStore.PENDING.equals(held.status()) || held.path() == null) {
      return null;
    }
    Path placed = store.root().resolve(held.path()).normalize();
    if (!placed.getParent().equals(store.root().normalize())) {
      return null;
    }
    if (Files.isRegularFile(placed, LinkOption.NOFOLLOW_LINKS)) {
      return placed;
    }
    // A fetched file waits in incoming/ as BLOB_ID.part, never under a name a row records: only an own copy is there.
    Path own = store.incoming().resolve(held.path()).normalize();
    if (own.getParent().equals(store.incoming().normalize()) && Files.isRegularFile(own, LinkOption.NOFOLLOW_LINKS)) {
      DurableFiles.move(own, placed);
      return placed;
    }
    return null;
  }

  /**
   * Downloads the rest of the blob into the verifier (a few tries, each continuing after what is
   * stored) and checks it. After a try that failed the verifier is rebuilt from what reached the disk:
   * a failed write may have left it ahead of the file. Only a refusal that will not change (the
   * blob is gone, or not this device's) is final; a server error or a busy proxy is a break.
   */
  private void download(AttachmentPointer pointer, AttachmentKeys keys, FileChannel out, Path ivFile, DecryptingVerifier start)
      throws IOException, InterruptedException {
    long size = pointer.getSize();
    DecryptingVerifier verifier = start;
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS && verifier.position() < verifier.length(); attempt++) {
      if (attempt > 0) {
        verifier = resume(keys, size, out, ivFile);
      }
      try (BlobTransfer.Download download = transfer.open(pointer.getBlobId(), verifier.position())) {
        if (download.from() != verifier.position()) {
          // The server sent the whole blob rather than the rest: take it from its start.
          out.truncate(0);
          out.position(0);
          verifier = new DecryptingVerifier(keys, size, sink(out));
        }
        take(download.body(), verifier, ivFile);
      } catch (BlobTransfer.Refused e) {
        if (FINAL.contains(e.status)) {
          throw e;
        }
        last = new IOException("the server answered " + e.getMessage(), e);
      } catch (AttachmentException e) {
        throw e;
      } catch (IOException e) {
        last = e;
      }
    }
    if (verifier.position() < verifier.length()) {
      throw last != null ? last : new IOException("the server sent fewer bytes than the blob has");
    }
    verifier.finish(pointer.getDigest().toByteArray());
  }

  /**
   * Dates what a download leaves in {@code incoming/} by the device's clock, which is what {@link
   * #sweep} measures its age by.
   */
  private void stamp(Path... files) {
    for (Path file : files) {
      try {
        if (Files.exists(file)) {
          Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(clock.instant()));
        }
      } catch (IOException e) {
        // the file system's own time stands then
      }
    }
  }

  /**
   * Takes up what an earlier download of this blob left in {@code incoming/}: the whole blocks of
   * plaintext written then, if their IV was kept (encrypting them again restores the digest and the
   * MAC, and what was altered fails them); otherwise it starts over.
   */
  private static DecryptingVerifier resume(AttachmentKeys keys, long size, FileChannel out, Path ivFile) throws IOException {
    DecryptingVerifier verifier = new DecryptingVerifier(keys, size, sink(out));
    long whole = Math.min(out.size(), size) / AttachmentSizes.BLOCK_BYTES * AttachmentSizes.BLOCK_BYTES;
    byte[] iv = Files.exists(ivFile) && Files.size(ivFile) == AttachmentSizes.IV_BYTES ? Files.readAllBytes(ivFile) : null;
    if (whole == 0 || iv == null) {
      whole = 0;
    } else {
      out.position(0);
      verifier.resume(iv, Channels.newInputStream(out), whole);
    }
    out.truncate(whole);
    out.position(whole);
    return verifier;
  }

  /** Reads the body into the verifier, keeping the blob's IV once it came (a resumed download needs it). */
  private void take(InputStream body, DecryptingVerifier verifier, Path ivFile) throws IOException {
    boolean ivKept = false;
    byte[] buffer = new byte[CHUNK];
    for (int n; (n = body.read(buffer)) > 0; ) {
      verifier.update(buffer, 0, n);
      if (!ivKept && verifier.iv() != null) {
        Files.write(PrivateFiles.file(ivFile), verifier.iv());
        ivKept = true;
      }
      progress.accept(verifier.position());
    }
  }

  private static DecryptingVerifier.Sink sink(FileChannel out) {
    return (bytes, offset, length) -> {
      ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
      while (buffer.hasRemaining()) {
        out.write(buffer);
      }
    };
  }

  /**
   * Tells the server this device holds a verified copy, so it can delete the blob once every device
   * it was sent to has (call after {@link #fetch}; after the attachment was shown is soon enough).
   */
  public void confirm(Held held) {
    try {
      transfer.confirm(held.blobId());
    } catch (ClientException e) {
      // The server deletes it at expiry instead.
    }
  }

  /**
   * Deletes what the download left in {@code incoming/} once the attachment is failed: it is not
   * resumed, so a sender (or server) that makes fetches fail must not fill the disk. Only a download
   * that broke off keeps its bytes (the row stays pending). The blob id was checked by then
   * (AttachmentStore.malformed), so it names a file in {@code incoming/} and nothing else.
   */
  private void discard(AttachmentPointer pointer) {
    for (String suffix : new String[] {PART, IV}) {
      try {
        Files.deleteIfExists(store.incoming().resolve(pointer.getBlobId() + suffix));
      } catch (IOException | RuntimeException e) {
        // The refusal below is what matters; a file that cannot be deleted now goes when this blob is fetched again.
      }
    }
  }

  /**
   * Deletes what downloads left in {@code incoming/} (and in {@code attachments/.partial/}, where
   * earlier versions kept them) last written longer than {@link #RESUME_WINDOW} ago by the device's
   * clock (a download dates its files by that clock when it stops, {@link #stamp}): no server keeps
   * their blobs that long, so they would never be continued, and a sender whose downloads break off
   * must not fill the disk for good. Run before a device's first fetch; returns how many files went. A file
   * that cannot be read or deleted now is left for the next start.
   */
  public static int sweep(AttachmentStore store, Clock clock) {
    java.time.Instant before = clock.instant().minus(RESUME_WINDOW);
    int swept = 0;
    for (Path directory : new Path[] {store.incoming(), store.root().resolve(LEGACY_PARTIAL)}) {
      if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
        for (Path file : files) {
          BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (!attributes.isDirectory() && attributes.lastModifiedTime().toInstant().isBefore(before)) {
            Files.deleteIfExists(file);
            swept++;
          }
        }
      } catch (IOException | RuntimeException e) {
        // left for the next start
      }
    }
    return swept;
  }

  /** A name made up here: the time, random hex, and the extension of the type sniffed from the plaintext. */
  private String name(Path plain) throws IOException {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return STAMP.format(clock.instant()) + "-" + HexFormat.of().formatHex(random) + ContentTypes.extension(ContentTypes.sniff(plain));
  }

}
