package org.parley.client.attachments;

import com.google.protobuf.ByteString;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.function.Supplier;
import org.parley.client.ClientException;
import org.parley.client.history.BlobTransfer;
import org.parley.client.net.ServerConnection;
import org.parley.protocol.attachments.AttachmentKeys;
import org.parley.protocol.attachments.AttachmentSizes;
import org.parley.protocol.attachments.EncryptingInputStream;
import org.parley.protocol.wire.AttachmentPointer;
import org.parley.protocol.wire.BlobKind;
import org.parley.protocol.wire.BlobUpload;
import org.parley.protocol.wire.CreateBlobUpload;
import org.parley.protocol.wire.Request;

/**
 * Encrypts a file and uploads it as an attachment blob (docs/PROTOCOL.md §14), streamed: the file is read,
 * padded, encrypted and MACed in a fixed buffer on its way to the socket, so memory stays the same
 * whatever its size. The upload is resumable: a connection that breaks off is followed by asking
 * the server how many bytes it holds (HEAD) and continuing from there (PATCH with Upload-Offset);
 * the same key and IV make the same ciphertext, so the bytes before the offset are encrypted again
 * and thrown away (their MAC and digest are needed), not sent again. The slot (blob id, key, IV) is
 * kept in the profile, so the same send run again after a crash continues too.
 *
 * <p>A file whose blob is at most {@link #ONE_REQUEST_BYTES} goes in one request instead (the
 * server reserves the slot and takes the body together, tus 1.0's creation-with-upload): no slot
 * to reserve over the WebSocket or keep in the profile, so a small file costs one round trip. Such
 * an upload that breaks off is started over, not continued: it is small, and the server keeps
 * nothing of it.
 */
public final class AttachmentUploader {
  /** Tries per file; each after the first continues from the server's offset. */
  static final int ATTEMPTS = 4;
  /** The longest file name sent along: a name is for display, and rides in every envelope. */
  static final int MAX_NAME_CHARS = 1024;
  /**
   * The largest blob sent in one request. Starting such a file over costs less than the slot's round
   * trip and the profile's write would on every send; above it, a break should not cost the whole file.
   */
  public static final long ONE_REQUEST_BYTES = 8L * 1024 * 1024;

  /** A file to send, under the name the receiver is shown (by default the file's own name). */
  public record Outgoing(Path file, String fileName) {
    public static Outgoing of(Path file) {
      Path name = file.getFileName();
      return new Outgoing(file, name == null ? "" : name.toString());
    }
  }

  /** An uploaded file: its pointer, and the offset the upload continued from (0 when it started fresh). */
  public record Uploaded(AttachmentPointer pointer, long resumedFrom) {}

  private final Supplier<ServerConnection> server;
  private final BlobTransfer transfer;
  private final UploadSlots slots;
  private final Clock clock;
  private final long stopAfterBytes;
  private final long oneRequestBytes;
  private volatile boolean stopped;

  /**
   * @param stopAfterBytes for tests: the upload dies (as a killed process would) after this many bytes
   * @param oneRequestBytes blobs up to this size go in one request ({@link #ONE_REQUEST_BYTES}; tests set less)
   */
  public AttachmentUploader(
      Supplier<ServerConnection> server, BlobTransfer transfer, org.parley.client.store.ProfileStore profile,
      Clock clock, long stopAfterBytes, long oneRequestBytes) {
    this.server = server;
    this.transfer = transfer;
    this.slots = new UploadSlots(profile);
    this.clock = clock;
    this.stopAfterBytes = stopAfterBytes;
    this.oneRequestBytes = oneRequestBytes;
  }

  public Uploaded upload(Outgoing outgoing) {
    Path file = outgoing.file();
    BasicFileAttributes attributes;
    String realPath;
    String contentType;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
      if (!attributes.isRegularFile()) {
        throw new ClientException("cannot send " + file + " as an attachment: it is not a regular file");
      }
      realPath = file.toRealPath().toString();
      contentType = ContentTypes.sniff(file);
    } catch (IOException e) {
      throw new ClientException("cannot read " + file + ": " + e.getMessage(), e);
    }
    long size = attributes.size();
    long modified = attributes.lastModifiedTime().toMillis();
    long length = AttachmentSizes.encryptedSize(size);
    if (length <= oneRequestBytes) {
      // No slot to look for: a file this small never keeps one.
      AttachmentPointer.Builder created = createWhole(file, size, length);
      if (created != null) {
        return new Uploaded(described(created, outgoing, file, contentType, size), 0);
      }
      // This server has no one-request upload: the slot's way below.
    }
    UploadSlots.Slot slot = slots.find(realPath, size, modified, clock.millis()).orElse(null);
    long resumedFrom = -1;
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) {
        pause(attempt);
      }
      boolean fresh = slot == null;
      if (fresh) {
        slot = reserve(realPath, size, modified, length);
      }
      try {
        // A slot reserved just now holds nothing: no need to ask (one round trip fewer per file).
        long offset = fresh ? 0 : transfer.uploadOffset(slot.blobId());
        if (offset < 0) {
          // The server no longer holds it (expired): start again under a new slot.
          slots.forget(slot.blobId(), clock.millis());
          slot = null;
          continue;
        }
        if (resumedFrom < 0) {
          resumedFrom = offset;
        }
        byte[] digest = send(file, size, slot, offset, length);
        AttachmentPointer.Builder pointer =
            AttachmentPointer.newBuilder()
                .setBlobId(slot.blobId())
                .setKey(ByteString.copyFrom(slot.key()))
                .setDigest(ByteString.copyFrom(digest));
        return new Uploaded(described(pointer, outgoing, file, contentType, size), resumedFrom);
      } catch (BlobTransfer.Refused e) {
        if (e.status != 409) {
          throw refused(file, e);
        }
        last = e; // the offset moved under us: ask again
      } catch (IOException e) {
        last = brokeOff(e);
      } catch (InterruptedException e) {
        throw interrupted(file, e, "the same send again continues it");
      }
    }
    throw gaveUp(file, last, "run the same send again, it continues from the bytes the server holds");
  }

  /**
   * Uploads the whole blob in one request under a fresh key and IV, starting over after a break (a
   * few times); returns its pointer's blob id, key and digest, or null if the server does not take
   * this request (an older one).
   */
  private AttachmentPointer.Builder createWhole(Path file, long size, long length) {
    IOException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) {
        pause(attempt);
      }
      byte[] key = AttachmentKeys.random().combined();
      try (EncryptingInputStream blob =
          new EncryptingInputStream(Files.newInputStream(file), size, new AttachmentKeys(key), AttachmentKeys.randomIv())) {
        String blobId = transfer.create(new Counting(blob, 0), length);
        blob.transferTo(OutputStream.nullOutputStream());
        return AttachmentPointer.newBuilder()
            .setBlobId(blobId)
            .setKey(ByteString.copyFrom(key))
            .setDigest(ByteString.copyFrom(blob.digest()));
      } catch (BlobTransfer.Refused e) {
        if (e.status == 404 || e.status == 405) {
          return null;
        }
        throw refused(file, e);
      } catch (IOException e) {
        last = brokeOff(e);
      } catch (InterruptedException e) {
        throw interrupted(file, e, "nothing was sent, send it again");
      }
    }
    throw gaveUp(file, last, "send it again");
  }

  /** The rest of a pointer: what the receiver is told about the file, and an image's thumbnail. */
  private static AttachmentPointer described(
      AttachmentPointer.Builder pointer, Outgoing outgoing, Path file, String contentType, long size) {
    pointer.setSize(size).setContentType(contentType).setFileName(bounded(outgoing.fileName()));
    Thumbnails.Thumbnail thumbnail = Thumbnails.of(file, contentType, size);
    if (thumbnail != null) {
      pointer.setThumbnail(ByteString.copyFrom(thumbnail.jpeg())).setWidth(thumbnail.width()).setHeight(thumbnail.height());
    }
    return pointer.build();
  }

  /** A connection that broke off, to try again after; or the test's stop, reported as such. */
  private IOException brokeOff(IOException e) {
    if (stopped) {
      throw new ClientException(ServerConnection.UNREACHABLE, "the upload was stopped half way (test)", e);
    }
    return e;
  }

  private static ClientException interrupted(Path file, InterruptedException e, String next) {
    Thread.currentThread().interrupt();
    return new ClientException("the upload of " + file + " was interrupted; " + next, e);
  }

  /** Every try broke off ({@code last} null: the slot expired each time). */
  private static ClientException gaveUp(Path file, IOException last, String next) {
    return new ClientException(
        ServerConnection.UNREACHABLE,
        "the upload of " + file + " broke off " + ATTEMPTS + " times (" + (last == null ? "the blob expired" : last.getMessage())
            + "); nothing was sent: " + next,
        last);
  }

  /** A refusal in words, with the code the same refusal over the WebSocket carries (a quota's, say). */
  private static ClientException refused(Path file, BlobTransfer.Refused e) {
    String code =
        switch (e.status) {
          case 413 -> "TOO_LARGE";
          case 429 -> "LIMIT_REACHED";
          case 507 -> "STORAGE_FULL";
          default -> null;
        };
    return new ClientException(
        code,
        "the server refused the upload of " + file + " (" + e.getMessage() + ")"
            + (e.status == 401 ? "; this device's credentials are no longer accepted" : ""),
        e);
  }

  /** The upload is carried by a message (or given up): its slot is no longer needed. */
  public static void carried(org.parley.client.store.ProfileStore profile, Clock clock, AttachmentPointer pointer) {
    new UploadSlots(profile).forget(pointer.getBlobId(), clock.millis());
  }

  private UploadSlots.Slot reserve(String realPath, long size, long modified, long length) {
    BlobUpload reserved =
        server.get()
            .call(
                Request.newBuilder()
                    .setCreateBlobUpload(
                        CreateBlobUpload.newBuilder().setSize(length).setKind(BlobKind.BLOB_KIND_ATTACHMENT)))
            .getBlobUpload();
    UploadSlots.Slot slot =
        new UploadSlots.Slot(
            realPath, size, modified, reserved.getBlobId(), AttachmentKeys.random().combined(), AttachmentKeys.randomIv(),
            reserved.getExpiresAt());
    slots.save(slot);
    return slot;
  }

  /**
   * Encrypts the file again from its start, discards the {@code offset} bytes the server holds, sends
   * the rest, and returns the blob's digest.
   */
  private byte[] send(Path file, long size, UploadSlots.Slot slot, long offset, long length)
      throws IOException, InterruptedException {
    try (EncryptingInputStream blob =
        new EncryptingInputStream(Files.newInputStream(file), size, new AttachmentKeys(slot.key()), slot.iv())) {
      blob.skipNBytes(offset);
      if (offset < length) {
        long reached = transfer.patch(slot.blobId(), offset, new Counting(blob, offset), length - offset);
        if (reached != length) {
          throw new IOException("the server holds " + reached + " of " + length + " bytes after the upload");
        }
      }
      blob.transferTo(OutputStream.nullOutputStream());
      return blob.digest();
    }
  }

  /** A moment before trying again: the server may still be writing what arrived before the break. */
  private static void pause(int attempt) {
    try {
      Thread.sleep(100L << attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientException("the upload was interrupted", e);
    }
  }

  private static String bounded(String name) {
    return name.length() <= MAX_NAME_CHARS ? name : name.substring(0, MAX_NAME_CHARS);
  }

  /** Counts the bytes handed to the connection, so a test can kill the upload half way. */
  private final class Counting extends FilterInputStream {
    private long position;

    Counting(InputStream in, long offset) {
      super(in);
      this.position = offset;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (position >= stopAfterBytes) {
        stopped = true;
        throw new IOException("the upload was stopped after " + position + " bytes");
      }
      int n = super.read(buffer, offset, (int) Math.min(length, Math.max(1, stopAfterBytes - position)));
      if (n > 0) {
        position += n;
      }
      return n;
    }
  }
}
