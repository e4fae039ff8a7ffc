package org.parley.server.blobs;

/** One empty blob store of one implementation, for one contract test. */
public interface BlobStoreBackend extends AutoCloseable {
  /** Opens the store; opening it again after a close sees everything made durable before. */
  BlobStore open();

  /** Closes every store opened here and drops what it held. */
  @Override
  void close();
}
