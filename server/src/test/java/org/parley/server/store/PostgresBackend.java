package org.parley.server.store;

import java.util.ArrayList;
import java.util.List;
import org.parley.server.store.postgres.PostgresStorage;
import org.parley.server.store.postgres.StoreUrl;
import org.parley.server.testing.TestPostgres;

/**
 * The clustered implementation on an empty schema of its own (in a database made for this test
 * run), dropped afterwards.
 */
final class PostgresBackend implements StorageBackend {
  private final TestPostgres.Schema schema = TestPostgres.createSchema("contract");
  private final List<Storage> opened = new ArrayList<>();

  @Override
  public Storage open() {
    Storage storage = new PostgresStorage(StoreUrl.parse(schema.storeUrl()));
    opened.add(storage);
    return storage;
  }

  @Override
  public void close() {
    opened.reversed().forEach(Storage::close);
    schema.drop();
  }
}
