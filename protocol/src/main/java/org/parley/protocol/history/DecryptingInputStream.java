package org.parley.protocol.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.security.GeneralSecurityException;
import org.parley.protocol.AesGcm;

/**
 * Reads the chunked layout of {@link BundleFormat}, releasing a chunk's plaintext only after the
 * whole chunk has authenticated. A chunk is the last one exactly when the stream ends after it, and
 * it must have been sealed as final: so a bundle cut at any point fails, even at a chunk boundary.
 */
public final class DecryptingInputStream extends InputStream {
  private final PushbackInputStream in;
  private final byte[] key;
  private final byte[] header;
  private final byte[] sealed;
  private byte[] plain = new byte[0];
  private int position;
  private long index;
  private boolean finished;

  public DecryptingInputStream(InputStream in, byte[] key) throws IOException {
    BundleFormat.checkKey(key);
    this.in = new PushbackInputStream(in, 1);
    this.key = key.clone();
    this.header = this.in.readNBytes(BundleFormat.HEADER_BYTES);
    if (header.length < BundleFormat.HEADER_BYTES) {
      throw new BundleException("the history bundle is cut short within its header");
    }
    this.sealed = new byte[BundleFormat.chunkBytes(header) + AesGcm.OVERHEAD];
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] bytes, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (position == plain.length) {
      if (!nextChunk()) {
        return -1;
      }
    }
    int n = Math.min(length, plain.length - position);
    System.arraycopy(plain, position, bytes, offset, n);
    position += n;
    return n;
  }

  private boolean nextChunk() throws IOException {
    if (finished) {
      return false;
    }
    int n = in.readNBytes(sealed, 0, sealed.length);
    boolean last = n < sealed.length || atEnd();
    if (n < AesGcm.OVERHEAD) {
      throw new BundleException(
          "the history bundle is cut short at chunk " + index + "; download it again");
    }
    try {
      plain = AesGcm.open(key, BundleFormat.associatedData(header, index, last), sealed, 0, n);
    } catch (GeneralSecurityException e) {
      throw new BundleException(
          "chunk " + index + " of the history bundle failed authentication: the bundle was altered,"
              + " reordered or cut short, or the key is wrong; it cannot be imported",
          e);
    }
    position = 0;
    index++;
    finished = last;
    return true;
  }

  private boolean atEnd() throws IOException {
    int next = in.read();
    if (next == -1) {
      return true;
    }
    in.unread(next);
    return false;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
