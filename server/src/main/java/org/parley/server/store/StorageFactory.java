package org.parley.server.store;

import org.parley.server.ServerConfig;
import org.parley.server.store.postgres.PostgresStorage;
import org.parley.server.store.postgres.StoreUrl;
import org.parley.server.store.sqlite.SqliteStorage;

/** Opens the store a server was told to use: the embedded SQLite file, or the shared PostgreSQL. */
public final class StorageFactory {
  private StorageFactory() {}

  public static Storage open(ServerConfig config) {
    String store = config.cluster().store();
    if (store == null) {
      return new SqliteStorage(config.dataDirectory(), config.ackHold());
    }
    if (!config.ackHold().equals(java.time.Duration.ofNanos(WriteClaim.ACK_WAIT_NANOS))) {
      org.slf4j.LoggerFactory.getLogger(StorageFactory.class)
          .warn("--ack-hold {}ms has no effect with --store: the shared store writes every envelope at once", config.ackHold().toMillis());
    }
    return new PostgresStorage(StoreUrl.parse(store));
  }
}
