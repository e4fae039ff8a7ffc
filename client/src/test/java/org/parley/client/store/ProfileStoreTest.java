package org.parley.client.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileStoreTest {
  @TempDir Path dir;

  @Test
  void aProfileIsReadableByItsOwnerOnly() throws IOException {
    Path profile = dir.resolve("profile");
    try (ProfileStore store = ProfileStore.open(profile)) {
      store.putText("k", "v");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(profile))).isEqualTo("rwx------");
      try (var files = Files.list(profile)) {
        for (Path file : files.toList()) {
          assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString())
              .isEqualTo("rw-------");
        }
      }
    }
  }
}
