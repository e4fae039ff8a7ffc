package org.parley.bench.report;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * This JVM's heap over a run: the heap in use sampled every 20 ms (garbage included, so it shows
 * how much the young generation is allowed to fill), and the heap left after every collection (the
 * live set; "flat" means this stays put whatever the work's size). Asked afterwards for a window
 * of the run, e.g. the companion's import.
 */
public final class HeapWatch implements AutoCloseable {
  /** Bounds what is kept: 20 minutes of samples. */
  private static final int MAX_SAMPLES = 60_000;
  private static final long PERIOD_MILLIS = 20;

  private record Sample(long atMillis, long bytes) {}

  /** The peak of each measure within a window, in MiB, and the collections that ended in it. */
  public record Peak(double usedMb, double afterGcMb, int collections) {}

  private final List<Sample> used = new ArrayList<>();
  private final List<Sample> afterGc = new ArrayList<>();
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("heap-watch").unstarted(r));
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener listener = this::collected;
  private final java.util.Set<String> heapPools =
      ManagementFactory.getMemoryPoolMXBeans().stream()
          .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP)
          .map(java.lang.management.MemoryPoolMXBean::getName)
          .collect(java.util.stream.Collectors.toSet());

  public HeapWatch() {
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(listener, null, null);
        emitters.add(emitter);
      }
    }
    sampler.scheduleAtFixedRate(this::sample, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** The heap in use now, after a full collection: a baseline to compare a window's peaks with. */
  public static double liveNowMb() {
    System.gc();
    return mb(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
  }

  public static double maxHeapMb() {
    return mb(Runtime.getRuntime().maxMemory());
  }

  private void sample() {
    add(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
  }

  private void collected(Notification notification, Object handback) {
    if (!notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
      return;
    }
    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    long heap = 0;
    // The map has the non-heap pools (metaspace, code cache) too; only the heap's count.
    for (var pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
      if (heapPools.contains(pool.getKey())) {
        heap += pool.getValue().getUsed();
      }
    }
    add(afterGc, heap);
  }

  private synchronized void add(List<Sample> samples, long bytes) {
    if (samples.size() < MAX_SAMPLES) {
      samples.add(new Sample(System.currentTimeMillis(), bytes));
    }
  }

  /** The peaks between two instants (inclusive). */
  public synchronized Peak peak(Instant from, Instant to) {
    long a = from.toEpochMilli();
    long b = to.toEpochMilli();
    long maxUsed = 0;
    long maxAfter = 0;
    int collections = 0;
    for (Sample s : used) {
      if (s.atMillis >= a && s.atMillis <= b) {
        maxUsed = Math.max(maxUsed, s.bytes);
      }
    }
    for (Sample s : afterGc) {
      if (s.atMillis >= a && s.atMillis <= b) {
        maxAfter = Math.max(maxAfter, s.bytes);
        collections++;
      }
    }
    return new Peak(mb(maxUsed), mb(maxAfter), collections);
  }

  private static double mb(long bytes) {
    return Math.round(bytes / 1024.0 / 1024.0 * 10) / 10.0;
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(listener);
      } catch (javax.management.ListenerNotFoundException e) {
        // already gone
      }
    }
  }
}
