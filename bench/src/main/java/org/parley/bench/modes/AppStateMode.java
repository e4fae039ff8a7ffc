package org.parley.bench.modes;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.parley.bench.CommonOptions;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import org.parley.client.Device;
import org.parley.client.appstate.AppStateKey;
import org.parley.client.appstate.AppStateLog;
import org.parley.client.appstate.AppStateViews;
import org.parley.client.appstate.ChatRef;
import org.parley.client.appstate.Mutation;
import org.parley.client.events.ContactNameEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.store.Contacts;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.AppStateValue;
import org.parley.protocol.wire.HistoryRecord;
import org.parley.protocol.wire.LabelValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * App state across own devices (issue 17), with real devices: how long a change made on one companion
 * takes to show on the account's other devices, and how large the snapshot a new companion gets is
 * for a large address book and many labelled chats (and how long linking it takes).
 */
@Command(
    name = "app-state",
    mixinStandardHelpOptions = true,
    description = {
      "App state (issue 17): CHANGES contact names made one after another on a companion, timed from the",
      "call until each other own device has applied it; then a primary holding CONTACTS named contacts and",
      "CHATS labelled chats links a companion: snapshot size and time to import."
    })
public final class AppStateMode implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--changes", defaultValue = "300", description = "Changes timed (default ${DEFAULT-VALUE}), after 30 warm-up ones.")
  int changes;

  @Option(names = "--interval-ms", defaultValue = "20", description = "Pause between two changes (default ${DEFAULT-VALUE}).")
  int intervalMs;

  @Option(names = "--contacts", defaultValue = "10000", description = "Named contacts in the snapshot (default ${DEFAULT-VALUE}).")
  int contacts;

  @Option(names = "--chats", defaultValue = "1000", description = "Labelled chats in the snapshot (default ${DEFAULT-VALUE}).")
  int chats;

  @Option(names = "--labels", defaultValue = "20", description = "Labels spread over those chats (default ${DEFAULT-VALUE}).")
  int labels;

  private static final int WARM_UP = 30;

  @Override
  public Integer call() throws Exception {
    return common.run((server, client) -> measure(server));
  }

  public Result measure(ServerHandle server) throws Exception {
    Result result = new Result("app-state");
    try (DeviceModes.Devices devices = new DeviceModes.Devices(server)) {
      Device primary = devices.register("+15553200000");
      Device laptop = link(devices, primary, "laptop");
      Device tablet = link(devices, primary, "tablet");
      propagation(laptop, List.of(primary, tablet), result);
      snapshot(devices, primary, result);
    }
    return result;
  }

  private static Device link(DeviceModes.Devices devices, Device primary, String name) throws Exception {
    DeviceModes.Devices.Linking linking = devices.startLink(name);
    primary.addDevice(linking.uri().get(30, TimeUnit.SECONDS), 1);
    Device companion = linking.companion().get(60, TimeUnit.SECONDS);
    companion.awaitHistory(Duration.ofSeconds(30), event -> {});
    return companion;
  }

  /** Names contacts one by one on {@code changer}; each other device records when it applied each. */
  private void propagation(Device changer, List<Device> others, Result result) throws Exception {
    int total = WARM_UP + changes;
    Map<String, Long> started = new ConcurrentHashMap<>();
    Histogram micros = new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
    CountDownLatch arrivals = new CountDownLatch(total * others.size());
    AtomicBoolean running = new AtomicBoolean(true);
    for (Device other : others) {
      Thread.ofPlatform().daemon().name("receive-" + other.local().deviceId()).start(() -> {
        while (running.get()) {
          other.receive(Duration.ofSeconds(2), event -> {
            if (event instanceof ContactNameEvent named) {
              long now = System.nanoTime();
              Long start = started.get(named.phone());
              if (start != null) {
                if (Integer.parseInt(named.phone().substring(named.phone().length() - 5)) >= WARM_UP) {
                  synchronized (micros) {
                    micros.recordValue(Math.max(1, (now - start) / 1000));
                  }
                }
                arrivals.countDown();
              }
            }
          });
        }
      });
    }
    Thread.sleep(1000);
    long begin = System.nanoTime();
    for (int i = 0; i < total; i++) {
      String phone = String.format("+1555330%05d", i);
      started.put(phone, System.nanoTime());
      changer.appState().nameContact(phone, "customer " + i);
      Thread.sleep(intervalMs);
    }
    boolean all = arrivals.await(60, TimeUnit.SECONDS);
    running.set(false);
    result
        .put("changes", changes)
        .put("receiving_devices", others.size())
        .put("interval_ms", intervalMs)
        .put("all_arrived", all)
        .put("changes_per_s", Math.round(total / ((System.nanoTime() - begin) / 1e9) * 10) / 10.0)
        .latency("change_to_applied_elsewhere", micros);
  }

  /** Seeds the primary's state, then links a companion and times its snapshot. */
  private void snapshot(DeviceModes.Devices devices, Device primary, Result result) throws Exception {
    long seedStart = System.nanoTime();
    long raw;
    try (ProfileStore store = ProfileStore.open(devices.profileOf(primary))) {
      seed(store);
      AtomicLong bytes = new AtomicLong();
      store.read(c -> {
        try {
          return new AppStateLog(store).export(
              c, m -> bytes.addAndGet(HistoryRecord.newBuilder().setAppState(m).build().getSerializedSize()));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      raw = bytes.get();
    }
    double seedMs = DeviceModes.ms(System.nanoTime() - seedStart);
    DeviceModes.Devices.Linking linking = devices.startLink("snapshot companion");
    String uri = linking.uri().get(30, TimeUnit.SECONDS);
    long start = System.nanoTime();
    primary.addDevice(uri, 1);
    long exported = System.nanoTime();
    Device companion = linking.companion().get(60, TimeUnit.SECONDS);
    AtomicLong bundleBytes = new AtomicLong();
    AtomicLong records = new AtomicLong();
    companion.awaitHistory(Duration.ofSeconds(120), event -> {
      if (event instanceof HistorySyncEvent h && h.state().equals("imported")) {
        bundleBytes.addAndGet(h.bytes());
        records.addAndGet(h.records());
      }
    });
    long done = System.nanoTime();
    AppStateViews views = companion.appState().views();
    long named = views.contacts().stream().filter(c -> c.name() != null).count();
    long labelled =
        views.chats(new AppStateViews.Filter(false, null, null)).stream().filter(c -> !c.labels().isEmpty()).count();
    result
        .put("snapshot_contacts", contacts)
        .put("snapshot_labelled_chats", chats)
        .put("snapshot_labels", labels)
        .put("seed_ms", seedMs)
        .put("snapshot_records_bytes_raw", raw)
        .put("history_bundle_bytes", bundleBytes.get())
        .put("history_bundle_records", records.get())
        .put("add_device_ms", DeviceModes.ms(exported - start))
        .put("add_device_to_imported_ms", DeviceModes.ms(done - start))
        .put("companion_named_contacts", named)
        .put("companion_labelled_chats", labelled);
  }

  /** Named contacts, labels, and chats (with known numbers) each carrying one label, as merged mutations. */
  private void seed(ProfileStore store) {
    AppStateLog log = new AppStateLog(store);
    Contacts known = new Contacts(store);
    store.transaction(c -> {
      long now = System.currentTimeMillis();
      for (int i = 0; i < contacts; i++) {
        String phone = String.format("+1555400%05d", i);
        log.merge(new Mutation(AppStateKey.contact(phone),
            AppStateValue.newBuilder().setName("Customer " + i + " Example").build(), log.nextVersion(), 1, now), false);
      }
      String[] ids = new String[labels];
      for (int l = 0; l < labels; l++) {
        ids[l] = String.format("%016x", 0x1000 + l);
        log.merge(new Mutation(AppStateKey.label(ids[l]),
            AppStateValue.newBuilder().setLabel(LabelValue.newBuilder().setName("label " + l).setColour("#1e88e5")).build(),
            log.nextVersion(), 1, now), false);
      }
      for (int i = 0; i < chats; i++) {
        UUID account = UUID.nameUUIDFromBytes(("chat " + i).getBytes());
        known.notePhone(account, String.format("+1555500%05d", i));
        log.merge(new Mutation(AppStateKey.chatLabel(ids[i % labels], ChatRef.direct(account)),
            AppStateValue.newBuilder().setOn(true).build(), log.nextVersion(), 1, now), false);
      }
      return null;
    });
  }
}
