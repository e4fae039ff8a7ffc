package org.parley.protocol.history;

import com.google.protobuf.CodedOutputStream;
import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.parley.protocol.wire.HistoryHeader;
import org.parley.protocol.wire.HistoryRecord;

/**
 * Writes one history bundle as a stream: length-delimited {@link HistoryRecord}s (the header first),
 * deflated, encrypted chunk by chunk ({@link BundleFormat}), with the size and SHA-256 of the
 * encrypted bytes counted on the way out. Memory use is a few buffers, whatever the bundle's size.
 * Deflating and encrypting run on a thread of the writer's own ({@link HandoffOutputStream}).
 */
public final class BundleWriter implements Closeable {
  public static final int FORMAT_VERSION = 1;
  private static final int BUFFER_BYTES = 64 * 1024;

  /** What the companion is told about a finished bundle. */
  public record Sealed(long size, byte[] sha256, long records) {}

  private final Counting counted;
  private final MessageDigest sha256;
  // The fastest level: at a million messages the default level spent ~8 s deflating on the
  // primary, several times what the fastest costs, for a bundle about a tenth smaller.
  private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
  private final DeflaterOutputStream deflated;
  private final HandoffOutputStream handoff;
  private final CodedOutputStream records;
  private long count;
  private Sealed sealed;
  /** Set once finishing has begun: whether it worked or not, it is not tried again. */
  private boolean ended;

  public BundleWriter(OutputStream out, byte[] key, HistoryHeader header) throws IOException {
    this(out, key, header, BundleFormat.DEFAULT_CHUNK_BYTES);
  }

  public BundleWriter(OutputStream out, byte[] key, HistoryHeader header, int chunkBytes) throws IOException {
    this.sha256 = sha256();
    this.counted = new Counting(out);
    EncryptingOutputStream encrypted =
        new EncryptingOutputStream(new DigestOutputStream(counted, sha256), key, chunkBytes);
    this.deflated = new DeflaterOutputStream(encrypted, deflater, BUFFER_BYTES);
    // Deflating and encrypting on a thread of their own, beside the caller's reading and encoding.
    this.handoff = new HandoffOutputStream(deflated, BUFFER_BYTES);
    this.records = CodedOutputStream.newInstance(handoff, BUFFER_BYTES);
    try {
      append(HistoryRecord.newBuilder().setHeader(header.toBuilder().setVersion(FORMAT_VERSION)).build());
    } catch (IOException | RuntimeException e) {
      try {
        handoff.close();
      } catch (IOException | RuntimeException alsoFailed) {
        e.addSuppressed(alsoFailed);
      } finally {
        deflater.end();
      }
      throw e;
    }
  }

  /** Appends one record after the header. */
  public void write(HistoryRecord record) throws IOException {
    if (record.hasHeader()) {
      throw new IllegalArgumentException("a bundle has exactly one header, written first");
    }
    append(record);
    count++;
  }

  private void append(HistoryRecord record) throws IOException {
    if (ended) {
      throw new IOException("the bundle is already finished");
    }
    records.writeUInt32NoTag(record.getSerializedSize());
    record.writeTo(records);
  }

  /** Records written after the header so far. */
  public long records() {
    return count;
  }

  /** Seals the last chunk, closes the output and tells what was written. */
  public Sealed finish() throws IOException {
    if (sealed == null) {
      if (ended) {
        throw new IOException("the bundle could not be finished; it is garbage");
      }
      ended = true;
      try {
        records.flush();
      } finally {
        try {
          // waits for the thread, which has then deflated, sealed and closed everything beneath
          handoff.close();
        } finally {
          deflater.end();
        }
      }
      sealed = new Sealed(counted.bytes, sha256.digest(), count);
    }
    return sealed;
  }

  /** Finishes the bundle if that has not been tried; a bundle abandoned after an error is garbage. */
  @Override
  public void close() throws IOException {
    if (!ended) {
      finish();
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class Counting extends FilterOutputStream {
    long bytes;

    Counting(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      bytes++;
    }

    @Override
    public void write(byte[] b, int offset, int length) throws IOException {
      out.write(b, offset, length);
      bytes += length;
    }
  }
}
