package org.parley.server.blobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.parley.server.ServerConfig;

/** Picks the blob store for a server: the one place that knows the implementations. */
public final class BlobStores {
  private BlobStores() {}

  /** Embedded: blobs as files beside the SQLite file (DESIGN.md §10). */
  public static BlobStore open(ServerConfig config) {
    try {
      return new FileBlobStore(config.dataDirectory().resolve("blobs"));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot open the blob store in " + config.dataDirectory().resolve("blobs") + ": " + e.getMessage(), e);
    }
  }
}
