package org.parley.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDataDirectoryTest {
  @TempDir Path dir;

  @Test
  void theServersDataIsReadableByItsOperatorOnly() throws IOException {
    Path data = dir.resolve("parley-data");
    try (SqliteStorage storage = new SqliteStorage(data)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(SqliteStorage.FILE_NAME))))
          .isEqualTo("rw-------");
    }
  }
}
