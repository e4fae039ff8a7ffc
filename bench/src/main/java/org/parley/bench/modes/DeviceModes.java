package org.parley.bench.modes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.bench.CommonOptions;
import org.parley.bench.report.HeapWatch;
import org.parley.bench.report.HistoryPhases;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.history.SyntheticHistory;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.DeviceKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Modes that drive real devices (the client library, libsignal and SQLite profiles) rather than
 * pre-encrypted load: linking a companion, and handing it a year of history.
 */
public final class DeviceModes {
  private DeviceModes() {}

  /** Everything a mode's devices need: profiles in a scratch directory, codes from the server. */
  static final class Devices implements AutoCloseable {
    private final ServerHandle server;
    private final Path profiles;
    private final List<Device> open = new ArrayList<>();
    private int next;

    Devices(ServerHandle server) throws Exception {
      this.server = server;
      this.profiles = Files.createTempDirectory("parley-bench-profiles");
    }

    Device register(String phone) throws Exception {
      Device device = Device.open(profiles.resolve("p" + next++), ClientConfig.defaults());
      open.add(device);
      device.requestCode(server.url(), phone, "bench primary");
      device.verify(server.code(phone).get(30, TimeUnit.SECONDS));
      return device;
    }

    Path profileOf(Device device) {
      return device.directory();
    }

    /** Starts linking a new companion in its own thread; completes with it once linked. */
    Linking startLink(String name) {
      Device companion = Device.open(profiles.resolve("p" + next++), ClientConfig.defaults());
      open.add(companion);
      CompletableFuture<String> shown = new CompletableFuture<>();
      AtomicLong linkedAt = new AtomicLong();
      CompletableFuture<Device> linked =
          CompletableFuture.supplyAsync(
              () -> {
                companion.link(server.url(), name, DeviceKind.DESKTOP, i -> shown.complete(i.uri()));
                linkedAt.set(System.nanoTime());
                return companion;
              },
              task -> Thread.ofPlatform().daemon().start(task));
      return new Linking(shown, linked, linkedAt);
    }

    record Linking(CompletableFuture<String> uri, CompletableFuture<Device> companion, AtomicLong linkedAt) {}

    @Override
    public void close() {
      open.forEach(Device::close);
      try (var paths = Files.walk(profiles)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (java.io.IOException e) {
        System.err.println("could not delete " + profiles);
      }
    }
  }

  @Command(
      name = "link",
      mixinStandardHelpOptions = true,
      description = {
        "Linking a companion (issue #3): from the primary's add-device to the companion's first message",
        "stored by the server (no history: a fresh account). Real devices, real QR exchange minus the",
        "camera, real signatures, pre-keys and sessions."
      })
  public static final class Link implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--rounds", defaultValue = "4", description = "Companions linked, one per fresh account (default ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws Exception {
      return common.run((server, client) -> measure(server));
    }

    public Result measure(ServerHandle server) throws Exception {
      List<Double> toLinked = new ArrayList<>();
      List<Double> toSent = new ArrayList<>();
      try (Devices devices = new Devices(server)) {
        Device contact = devices.register("+15553000000");
        for (int round = 1; round <= rounds; round++) {
          Device primary = devices.register(String.format("+1555300%04d", round));
          Devices.Linking linking = devices.startLink("companion " + round);
          String uri = linking.uri().get(30, TimeUnit.SECONDS);
          long start = System.nanoTime();
          primary.addDevice(uri, 1);
          Device companion = linking.companion().get(60, TimeUnit.SECONDS);
          companion.sendText("+15553000000", "first words from companion " + round);
          long sent = System.nanoTime();
          toLinked.add(ms(linking.linkedAt().get() - start));
          toSent.add(ms(sent - start));
        }
        contact.devices();
      }
      return new Result("link")
          .put("rounds", rounds)
          .put("add_device_to_linked_ms", toLinked)
          .put("add_device_to_first_send_ms", toSent)
          .put("add_device_to_first_send_median_ms", median(toSent));
    }
  }

  @Command(
      name = "history",
      mixinStandardHelpOptions = true,
      description = {
        "History sync (issue #4): a primary holding MESSAGES messages across CHATS chats (seeded",
        "into its store), timed from add-device to the companion having imported every part; with",
        "each part's export, upload, download, check and import (the client's flight-recorder events)",
        "and the heap during the companion's import (sampled, and after each collection)."
      })
  public static final class History implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--messages", defaultValue = "100000", description = "Messages in the primary's history (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--chats", defaultValue = "200", description = "Chats they are spread over (default ${DEFAULT-VALUE}).")
    int chats;

    @Option(names = "--days", defaultValue = "365", description = "The window exported (default ${DEFAULT-VALUE}).")
    int days;

    @Override
    public Integer call() throws Exception {
      return common.run((server, client) -> measure(server));
    }

    public Result measure(ServerHandle server) throws Exception {
      try (Devices devices = new Devices(server);
          HistoryPhases phases = new HistoryPhases()) {
        Device primary = devices.register("+15553100000");
        long seedStart = System.nanoTime();
        try (ProfileStore store = ProfileStore.open(devices.profileOf(primary))) {
          SyntheticHistory.seed(
              store, primary.local().account(), messages, chats, System.currentTimeMillis(),
              Duration.ofDays(days).toMillis() - Duration.ofHours(1).toMillis(), 42);
        }
        double seedMs = ms(System.nanoTime() - seedStart);
        Devices.Linking linking = devices.startLink("history companion");
        String uri = linking.uri().get(30, TimeUnit.SECONDS);
        // Primary, companion and this bench share the JVM; the server runs apart. By the companion's
        // import the primary is done, so the heap then is the companion's (and the bench's).
        double baselineMb = HeapWatch.liveNowMb();

        try (HeapWatch heap = new HeapWatch()) {
          long start = System.nanoTime();
          primary.addDevice(uri, days);
          long announced = System.nanoTime();
          Device companion = linking.companion().get(60, TimeUnit.SECONDS);
          AtomicLong bytes = new AtomicLong();
          AtomicLong records = new AtomicLong();
          AtomicInteger lastPart = new AtomicInteger(-1);
          boolean complete = companion.awaitHistory(Duration.ofSeconds(120), event -> {
            if (event instanceof HistorySyncEvent h && h.state().equals("imported")) {
              bytes.addAndGet(h.bytes());
              records.addAndGet(h.records());
              if (h.lastPart()) {
                lastPart.set(h.part());
              }
            }
          });
          long done = System.nanoTime();
          boolean heard = lastPart.get() >= 0 && phases.awaitPhase("import", lastPart.get(), Duration.ofSeconds(10));
          long imported = messagesIn(devices.profileOf(companion));
          Result result = new Result("history")
              .put("messages", messages)
              .put("chats", chats)
              .put("days", days)
              .put("complete", complete)
              .put("messages_on_companion", imported)
              .put("bundle_records", records.get())
              .put("bundle_bytes", bytes.get())
              .put("seed_ms", seedMs)
              .put("add_device_ms", ms(announced - start))
              .put("add_device_to_linked_ms", ms(linking.linkedAt().get() - start))
              .put("add_device_to_imported_ms", ms(done - start));
          phases.millis().forEach(result::put);
          result.put("phases_complete", heard);
          List<HistoryPhases.Phase> imports = phases.phases().stream().filter(p -> p.name().equals("import")).toList();
          if (!imports.isEmpty()) {
            // From the companion's first import to its last, downloads and checks between parts included.
            HeapWatch.Peak peak = heap.peak(imports.getFirst().start(), imports.getLast().end());
            result
                .put("heap_max_mb", HeapWatch.maxHeapMb())
                .put("heap_live_before_mb", baselineMb)
                .put("import_heap_after_gc_max_mb", peak.afterGcMb())
                .put("import_heap_used_peak_mb", peak.usedMb())
                .put("import_gcs", peak.collections());
          }
          return result;
        }
      }
    }
  }

  /**
   * Counted in the profile rather than listed through the device: a million history entries in
   * memory would need a heap the companion itself never does (a run with a small -Xmx shows it).
   */
  static long messagesIn(Path profile) {
    try (ProfileStore store = ProfileStore.open(profile)) {
      return store.read(c -> {
        try (var count = c.createStatement();
            var rs = count.executeQuery("SELECT COUNT(*) FROM messages")) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      });
    }
  }

  static double ms(long nanos) {
    return Math.round(nanos / 10_000.0) / 100.0;
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
  }
}
