package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.history.BlobTransfer;
import org.parley.client.history.HistoryExporter;
import org.parley.client.history.HistoryImporter;
import org.parley.client.history.SyntheticHistory;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.HistorySync;
import org.parley.server.testing.TestServer;

/**
 * Times history sync for a busy year (100,000 messages across 200 chats), phase by phase, until the
 * bench module takes it over. Opt-in, since it takes a while on a shared machine:
 * {@code ./mvnw -o -B -pl client -am verify -Dtest=NONE -Dit.test=HistorySyncBenchmarkIT
 * -Dparley.bench=true -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "parley.bench", matches = "true")
class HistorySyncBenchmarkIT {
  static final int MESSAGES = 100_000;
  static final int CHATS = 200;

  @TempDir Path dir;

  @Test
  void aBusyYear() {
    Clock clock = Clock.systemUTC();
    try (TestServer server = TestServer.start(dir.resolve("server"))) {
      Accounts.register(server, dir.resolve("primary"), "+15550000001").close();
      try (ProfileStore primary = ProfileStore.open(dir.resolve("primary"));
          ProfileStore companion = ProfileStore.open(dir.resolve("companion"))) {
        LocalDevice device = new LocalDevice(primary);
        long start = System.nanoTime();
        SyntheticHistory.seed(primary, device.account(), MESSAGES, CHATS, clock.millis(), Duration.ofDays(360).toMillis(), 1);
        report("seed", start, "");

        HistoryExporter exporter = new HistoryExporter(primary, device.account(), clock, dir.resolve("primary-history"));
        HistoryImporter importer = new HistoryImporter(companion, device.account(), 2, clock, dir.resolve("companion-history"));
        try (BlobTransfer blobs = BlobTransfer.forDevice(device, null);
            ServerConnection connection =
                ServerConnection.open(
                    ServerConnection.Target.device(
                        device.serverUrl(), device.account().toString(), device.deviceId(), device.credential(), null, false),
                    push -> {})) {
          long total = System.nanoTime();
          start = System.nanoTime();
          List<HistoryExporter.Bundle> bundles = exporter.write(2, HistoryExporter.DEFAULT_DAYS);
          report("export (read + encode + deflate + encrypt)", start, sizes(bundles));

          start = System.nanoTime();
          List<HistorySync> announcements = new ArrayList<>();
          for (HistoryExporter.Bundle bundle : bundles) {
            announcements.add(bundle.announcement().toBuilder().setBlobId(blobs.upload(connection, bundle.file())).build());
          }
          report("upload", start, "");

          start = System.nanoTime();
          long records = 0;
          long[] downloading = new long[1];
          for (HistorySync announcement : announcements) {
            long bundleStart = System.nanoTime();
            boolean[] importing = new boolean[1];
            records += importer.importBundle(announcement, blobs, e -> {
              if (e.state().equals("importing") && !importing[0]) {
                importing[0] = true;
                downloading[0] += System.nanoTime() - bundleStart;
              }
            }).records();
          }
          long imported = System.nanoTime() - start;
          print("download + verify + decrypt + import", imported, records + " records");
          print("  of which download + SHA-256 check", downloading[0], "");
          print("  of which decrypt + inflate + import (one commit a bundle)", imported - downloading[0], "");
          report("total", total, "");
        }
        assertThat(new MessageHistory(companion).list(null, null, Integer.MAX_VALUE)).hasSize(MESSAGES);
      }
    }
  }

  private static String sizes(List<HistoryExporter.Bundle> bundles) {
    return bundles.stream()
        .map(b -> "part " + b.announcement().getPart() + ": " + b.announcement().getRecordCount() + " records, "
            + b.announcement().getSize() + " bytes")
        .reduce((a, b) -> a + "; " + b)
        .orElse("");
  }

  private static void report(String phase, long startNanos, String detail) {
    print(phase, System.nanoTime() - startNanos, detail);
  }

  private static void print(String phase, long nanos, String detail) {
    System.out.printf(Locale.ROOT, "history-sync bench: %-60s %7.0f ms  %s%n", phase, nanos / 1e6, detail);
  }
}
