package org.parley.server.blobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.parley.server.ServerConfig;
import org.parley.server.store.postgres.PostgresBlobStore;
import org.parley.server.store.postgres.StoreUrl;

/** Picks the blob store for a server: the one place that knows the implementations. */
public final class BlobStores {
  private BlobStores() {}

  /**
   * Embedded: blobs as files beside the SQLite file. Clustered ({@code --store postgresql://...}):
   * in the shared database, so an upload through one node is fetched through any other (DESIGN.md §10).
   */
  public static BlobStore open(ServerConfig config) {
    String store = config.cluster().store();
    if (store != null) {
      return new PostgresBlobStore(StoreUrl.parse(store));
    }
    try {
      return new FileBlobStore(config.dataDirectory().resolve("blobs"));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot open the blob store in " + config.dataDirectory().resolve("blobs") + ": " + e.getMessage(), e);
    }
  }
}
