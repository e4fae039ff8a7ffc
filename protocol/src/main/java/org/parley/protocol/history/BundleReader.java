package org.parley.protocol.history;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;
import org.parley.protocol.wire.HistoryHeader;
import org.parley.protocol.wire.HistoryRecord;

/**
 * Reads a bundle written by {@link BundleWriter}, one record at a time. Every record handed out
 * comes from a chunk that has authenticated; but a bundle can still fail at a later chunk, so a
 * caller must apply records so that a failure part-way leaves nothing behind (one transaction).
 */
public final class BundleReader implements Closeable {
  /** Larger than any message the relay accepts (256 KiB envelopes), small enough to allocate. */
  static final int MAX_RECORD_BYTES = 4 * 1024 * 1024;
  private static final int BUFFER_BYTES = 64 * 1024;

  private final Inflater inflater = new Inflater();
  private final InputStream inflated;
  private final CodedInputStream records;
  private final HistoryHeader header;

  public BundleReader(InputStream in, byte[] key) throws IOException {
    this.inflated = new InflaterInputStream(new DecryptingInputStream(in, key), inflater, BUFFER_BYTES);
    this.records = CodedInputStream.newInstance(inflated, BUFFER_BYTES);
    HistoryRecord first = read();
    if (first == null || !first.hasHeader()) {
      throw new BundleException("the history bundle does not start with a header; it is corrupt");
    }
    if (first.getHeader().getVersion() != BundleWriter.FORMAT_VERSION) {
      throw new BundleException(
          "the history bundle has format version " + first.getHeader().getVersion() + ", this Parley reads "
              + BundleWriter.FORMAT_VERSION + "; update Parley on this device or on the primary");
    }
    this.header = first.getHeader();
  }

  public HistoryHeader header() {
    return header;
  }

  /** The next record after the header, or {@code null} once the bundle has ended (and authenticated). */
  public HistoryRecord next() throws IOException {
    HistoryRecord record = read();
    if (record != null && record.hasHeader()) {
      throw new BundleException("the history bundle has a second header; it is corrupt");
    }
    return record;
  }

  private HistoryRecord read() throws IOException {
    try {
      if (records.isAtEnd()) {
        return null;
      }
      records.resetSizeCounter();
      int length = records.readRawVarint32();
      if (length < 0 || length > MAX_RECORD_BYTES) {
        throw new BundleException(
            "the history bundle holds a record of " + length + " bytes, more than " + MAX_RECORD_BYTES);
      }
      int limit = records.pushLimit(length);
      HistoryRecord record = HistoryRecord.parseFrom(records);
      records.popLimit(limit);
      return record;
    } catch (BundleException e) {
      throw e;
    } catch (ZipException | InvalidProtocolBufferException e) {
      // protobuf wraps a failure of the stream beneath it; the chunk's own refusal says more
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        if (cause instanceof BundleException bundle) {
          throw bundle;
        }
      }
      throw new BundleException(
          "the history bundle decrypted but its contents are malformed (" + e.getMessage()
              + "); the exporting Parley is broken or incompatible",
          e);
    } catch (java.io.EOFException e) {
      throw new BundleException("the history bundle's contents end abruptly; it is corrupt", e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      inflated.close();
    } finally {
      inflater.end();
    }
  }
}
