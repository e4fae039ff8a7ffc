package org.parley.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.parley.server.store.sqlite.SqliteStorage;

/** The embedded implementation on a data directory of its own. */
final class SqliteBackend implements StorageBackend {
  private final Path directory;
  private final List<Storage> opened = new ArrayList<>();

  SqliteBackend() {
    try {
      directory = Files.createTempDirectory("parley-storage-contract-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Storage open() {
    Storage storage = new SqliteStorage(directory);
    opened.add(storage);
    return storage;
  }

  @Override
  public void close() {
    opened.reversed().forEach(Storage::close);
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
