package org.parley.client.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobTransferTest {
  @TempDir Path dir;

  @Test
  void aDownloadNeverWritesPastTheAnnouncedSize() throws IOException {
    Path file = dir.resolve("bundle");
    byte[] body = new byte[200_000];

    assertThatThrownBy(() -> BlobTransfer.copy(new ByteArrayInputStream(body), file, 0, 100_000, held -> {}))
        .isInstanceOf(IOException.class).hasMessageContaining("more than the announced");
    assertThat(Files.size(file)).isLessThanOrEqualTo(100_000);

    BlobTransfer.copy(new ByteArrayInputStream(new byte[100_000]), file, 0, 100_000, held -> {});
    assertThat(Files.size(file)).isEqualTo(100_000);
  }
}
