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
    return new PostgresStorage(StoreUrl.parse(store));
  }
}
