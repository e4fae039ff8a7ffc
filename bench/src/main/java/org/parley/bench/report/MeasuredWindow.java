package org.parley.bench.report;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.parley.bench.server.ProcessStats;

/**
 * The measured window of a load run (relay, lean relay, XMPP): the warm-up, then the window itself,
 * over which the server's CPU and the generator's own ({@link CpuWatch}) are taken, then the settling
 * that lets what was sent in the window arrive.
 */
public final class MeasuredWindow {
  /** What has not arrived this long after the window counts as lost. */
  private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(15);

  private final long start;
  private final long end;
  private final double seconds;
  private long serverCpuStart;
  private long serverCpuEnd;
  private CpuWatch generator;

  /** A window that opens {@code warmupSeconds} from now and lasts {@code durationSeconds}. */
  public MeasuredWindow(double warmupSeconds, double durationSeconds) {
    this.start = System.nanoTime() + (long) (warmupSeconds * 1e9);
    this.end = start + (long) (durationSeconds * 1e9);
    this.seconds = durationSeconds;
  }

  /** System.nanoTime at which the window opens. */
  public long start() {
    return start;
  }

  /** System.nanoTime at which the window closes. */
  public long end() {
    return end;
  }

  public boolean contains(long nanoTime) {
    return nanoTime >= start && nanoTime < end;
  }

  /** Waits through the warm-up and the window, taking the server's and this JVM's CPU over the window. */
  public void pass(ProcessStats server) throws InterruptedException {
    sleepUntil(start);
    serverCpuStart = server.cpuMillis();
    generator = CpuWatch.self();
    sleepUntil(end);
    serverCpuEnd = server.cpuMillis();
    generator.close();
  }

  /** After the window: waits while {@code pending} holds, 15 s at most (what is still pending then is lost). */
  public static void settle(BooleanSupplier pending) throws InterruptedException {
    long by = System.nanoTime() + SETTLE_NANOS;
    while (pending.getAsBoolean() && System.nanoTime() < by) {
      Thread.sleep(20);
    }
  }

  /**
   * The server's CPU and peak memory, and the generator's CPU (flagged past half its core), also per
   * 1000 messages delivered (from the result's messages_delivered_per_s): what tells two drivers apart
   * whatever rate each reached.
   */
  public void report(Result result, ProcessStats server) {
    long windowMs = (long) (seconds * 1000);
    result.put("server_cpu_pct", serverCpuStart < 0 ? null : Result.round(100.0 * (serverCpuEnd - serverCpuStart) / windowMs));
    result.put("server_peak_rss_mb", server.peakRssBytes() < 0 ? null : server.peakRssBytes() >> 20);
    generator.report(result);
    if (result.get("messages_delivered_per_s") instanceof Double messages && messages > 0) {
      result.put("client_cpu_ms_per_1000_msgs", Result.round(generator.averagePct() * 10 / messages * 1000));
    }
  }

  public static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000));
    }
  }
}
