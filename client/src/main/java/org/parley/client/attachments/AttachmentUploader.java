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
 */
public final class AttachmentUploader {
  /** Tries per file; each after the first continues from the server's offset. */
  static final int ATTEMPTS = 4;
  /** The longest file name sent along: a name is for display, and rides in every envelope. */
  static final int MAX_NAME_CHARS = 1024;

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
  private volatile boolean stopped;

  /** @param stopAfterBytes for tests: the upload dies (as a killed process would) after this many bytes */
  public AttachmentUploader(
      Supplier<ServerConnection> server, BlobTransfer transfer, org.parley.client.store.ProfileStore profile,
      Clock clock, long stopAfterBytes) {
    this.server = server;
    this.transfer = transfer;
    this.slots = new UploadSlots(profile);
    this.clock = clock;
    this.stopAfterBytes = stopAfterBytes;
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
                .setDigest(ByteString.copyFrom(digest))
                .setSize(size)
                .setContentType(contentType)
                .setFileName(bounded(outgoing.fileName()));
        Thumbnails.Thumbnail thumbnail = Thumbnails.of(file, contentType, size);
        if (thumbnail != null) {
          pointer.setThumbnail(ByteString.copyFrom(thumbnail.jpeg())).setWidth(thumbnail.width()).setHeight(thumbnail.height());
        }
        return new Uploaded(pointer.build(), resumedFrom);
      } catch (BlobTransfer.Refused e) {
        if (e.status != 409) {
          throw new ClientException(
              "the server refused the upload of " + file + " (" + e.getMessage() + ")"
                  + (e.status == 401 ? "; this device's credentials are no longer accepted" : ""),
              e);
        }
        last = e; // the offset moved under us: ask again
      } catch (IOException e) {
        if (stopped) {
          throw new ClientException(ServerConnection.UNREACHABLE, "the upload was stopped half way (test)", e);
        }
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ClientException("the upload of " + file + " was interrupted; the same send again continues it", e);
      }
    }
    throw new ClientException(
        ServerConnection.UNREACHABLE,
        "the upload of " + file + " broke off " + ATTEMPTS + " times (" + (last == null ? "the blob expired" : last.getMessage())
            + "); nothing was sent: run the same send again, it continues from the bytes the server holds",
        last);
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
