package org.parley.protocol.history;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.parley.protocol.AesGcm;

/**
 * Encrypts what is written into the chunked layout of {@link BundleFormat}. A full chunk is sealed
 * only once more data follows it, so that {@link #close} can always seal the last chunk as final.
 */
public final class EncryptingOutputStream extends OutputStream {
  private final OutputStream out;
  private final byte[] key;
  private final byte[] header;
  private final byte[] buffer;
  private int filled;
  private long index;
  private boolean closed;

  public EncryptingOutputStream(OutputStream out, byte[] key, int chunkBytes) throws IOException {
    BundleFormat.checkKey(key);
    this.out = out;
    this.key = key.clone();
    this.header = BundleFormat.header(chunkBytes);
    this.buffer = new byte[chunkBytes];
    out.write(header);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (closed) {
      throw new IOException("the bundle is already sealed");
    }
    while (length > 0) {
      if (filled == buffer.length) {
        seal(false);
      }
      int n = Math.min(length, buffer.length - filled);
      System.arraycopy(bytes, offset, buffer, filled, n);
      filled += n;
      offset += n;
      length -= n;
    }
  }

  private void seal(boolean last) throws IOException {
    byte[] aad = BundleFormat.associatedData(header, index, last);
    out.write(AesGcm.seal(key, aad, Arrays.copyOf(buffer, filled)));
    index++;
    filled = 0;
  }

  /** Flushes what is sealed; a partial chunk stays buffered, since sealing it would end the bundle. */
  @Override
  public void flush() throws IOException {
    out.flush();
  }

  /** Seals the last chunk as final and closes the underlying stream. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      seal(true);
    } finally {
      out.close();
    }
  }
}
