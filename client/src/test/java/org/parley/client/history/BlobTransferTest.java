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

  /**
   * Closing a transfer (the device closing) while a download is open and nobody reads it returns at
   * once and cuts the download off; it does not wait for the exchange to end (the server here sends
   * a few bytes of a large blob, then nothing).
   */
  @Test
  void closingCutsOffAnOpenDownloadRatherThanWaitForIt() throws Exception {
    java.util.concurrent.CountDownLatch stall = new java.util.concurrent.CountDownLatch(1);
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/blobs/", exchange -> {
      exchange.sendResponseHeaders(200, 10_000_000);
      exchange.getResponseBody().write(new byte[1000]);
      exchange.getResponseBody().flush();
      try {
        stall.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    server.start();
    try {
      BlobTransfer transfer =
          new BlobTransfer("ws://127.0.0.1:" + server.getAddress().getPort(), java.util.UUID.randomUUID(), 1, new byte[32], null);
      BlobTransfer.Download download = transfer.open("AAAA", 0);
      assertThat(download.body().read()).isZero();
      Thread closing = Thread.ofPlatform().start(transfer::close);
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !closing.isAlive());
      assertThatThrownBy(() -> download.body().readAllBytes()).isInstanceOf(IOException.class);
    } finally {
      stall.countDown();
      server.stop(0);
    }
  }
}
