package org.parley.protocol.history;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.parley.protocol.AesGcm;

/**
 * The encrypted layout of a history bundle (DESIGN.md §7).
 *
 * <pre>
 * header  = "PHB1" || chunk size (4 bytes, big-endian)
 * chunk i = AesGcm.seal(key, associated data = header || i (8 bytes) || final (1 byte), plaintext)
 * </pre>
 *
 * Every chunk but the last carries exactly chunk-size plaintext bytes, the last one at most that
 * (possibly none), so a reader finds chunk boundaries without any unauthenticated length field. The
 * associated data pins each chunk to its position and says whether it is the last: a reordered,
 * dropped or duplicated chunk fails authentication, and so does a stream cut after a non-final
 * chunk. The header is in every chunk's associated data, so it cannot be altered either.
 *
 * <p>The key is 32 random bytes per bundle, carried to the companion inside the end-to-end encrypted
 * {@code HistorySync} announcement. Nothing is derived: primary and companion share no secret
 * outside their Signal session to derive from, and a fresh key per bundle keeps AES-GCM's random
 * 96-bit nonces far from any collision risk (a 512 MiB bundle is 8,192 chunks).
 */
public final class BundleFormat {
  public static final int DEFAULT_CHUNK_BYTES = 64 * 1024;
  public static final int MIN_CHUNK_BYTES = 1024;
  public static final int MAX_CHUNK_BYTES = 4 * 1024 * 1024;
  static final int HEADER_BYTES = 8;
  private static final byte[] MAGIC = {'P', 'H', 'B', '1'};
  private static final SecureRandom RANDOM = new SecureRandom();

  private BundleFormat() {}

  /** A fresh key for one bundle. */
  public static byte[] newKey() {
    byte[] key = new byte[AesGcm.KEY_BYTES];
    RANDOM.nextBytes(key);
    return key;
  }

  static byte[] header(int chunkBytes) {
    checkChunkBytes(chunkBytes);
    return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putInt(chunkBytes).array();
  }

  /** The chunk size a header declares; refuses anything that is not a bundle header. */
  static int chunkBytes(byte[] header) throws BundleException {
    ByteBuffer buffer = ByteBuffer.wrap(header);
    for (byte expected : MAGIC) {
      if (buffer.get() != expected) {
        throw new BundleException(
            "this is not a Parley history bundle (its header is wrong); the download is corrupt");
      }
    }
    int chunkBytes = buffer.getInt();
    if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
      throw new BundleException(
          "the history bundle declares a chunk size of " + chunkBytes + " bytes, outside "
              + MIN_CHUNK_BYTES + ".." + MAX_CHUNK_BYTES + "; it is corrupt or from an incompatible Parley");
    }
    return chunkBytes;
  }

  static byte[] associatedData(byte[] header, long index, boolean last) {
    return ByteBuffer.allocate(HEADER_BYTES + Long.BYTES + 1)
        .put(header)
        .putLong(index)
        .put((byte) (last ? 1 : 0))
        .array();
  }

  static void checkKey(byte[] key) {
    if (key == null || key.length != AesGcm.KEY_BYTES) {
      throw new IllegalArgumentException("a history bundle key is " + AesGcm.KEY_BYTES + " bytes");
    }
  }

  private static void checkChunkBytes(int chunkBytes) {
    if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
      throw new IllegalArgumentException(
          "chunk size must be " + MIN_CHUNK_BYTES + ".." + MAX_CHUNK_BYTES + " bytes, not " + chunkBytes);
    }
  }
}
