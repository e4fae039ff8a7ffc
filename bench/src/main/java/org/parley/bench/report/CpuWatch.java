package org.parley.bench.report;

import java.util.concurrent.TimeUnit;
import org.parley.bench.server.ProcessStats;

/**
 * The load generator watching its own CPU over the measured window, second by second: a side by
 * side is only fair while the generator has CPU to spare, so the busiest second counts as well as
 * the average. Issue 16 sets the bar at half of the generator's core.
 */
public final class CpuWatch implements AutoCloseable {
  /** Above this share of one core in any second, the generator may have held the server back. */
  public static final double LIMIT_PCT = 50;

  private final ProcessStats process;
  private final Thread sampler;
  private final long startMillis;
  private final long startSystemMillis;
  private final long startNanos;
  private volatile double maxSecondPct;
  private volatile boolean stopped;
  private long endMillis = -1;
  private long endSystemMillis;
  private long endNanos;

  private CpuWatch(ProcessStats process) {
    this.process = process;
    this.startMillis = process.cpuMillis();
    this.startSystemMillis = process.systemCpuMillis();
    this.startNanos = System.nanoTime();
    this.sampler = Thread.ofPlatform().daemon().name("cpu-watch").start(this::sample);
  }

  /** Starts watching this JVM. */
  public static CpuWatch self() {
    return new CpuWatch(new ProcessStats(ProcessHandle.current().pid()));
  }

  private void sample() {
    long lastMillis = startMillis;
    long lastNanos = startNanos;
    while (!stopped) {
      try {
        TimeUnit.SECONDS.sleep(1);
      } catch (InterruptedException e) {
        return;
      }
      long millis = process.cpuMillis();
      long nanos = System.nanoTime();
      // /proc counts in 10 ms ticks: a one-second sample is good to about 1 %.
      double pct = 100.0 * (millis - lastMillis) / ((nanos - lastNanos) / 1e6);
      maxSecondPct = Math.max(maxSecondPct, pct);
      lastMillis = millis;
      lastNanos = nanos;
    }
  }

  /** Stops the sampler and fixes the window's end. */
  @Override
  public void close() {
    if (!stopped) {
      stopped = true;
      endMillis = process.cpuMillis();
      endSystemMillis = process.systemCpuMillis();
      endNanos = System.nanoTime();
      sampler.interrupt();
    }
  }

  public double averagePct() {
    close();
    return Result.round(100.0 * (endMillis - startMillis) / ((endNanos - startNanos) / 1e6));
  }

  /** Of the generator's CPU in the window, the share spent in the kernel (loopback TCP mostly: no driver saves that). */
  public double kernelSharePct() {
    close();
    return endMillis == startMillis ? 0 : Result.round(100.0 * (endSystemMillis - startSystemMillis) / (endMillis - startMillis));
  }

  public double maxSecondPct() {
    close();
    return Result.round(maxSecondPct);
  }

  /** Puts the figures in a result and says on stderr when the generator was too busy to be fair. */
  public void report(Result result) {
    result.put("client_cpu_pct", averagePct());
    result.put("client_cpu_max_1s_pct", maxSecondPct());
    result.put("client_cpu_kernel_share_pct", kernelSharePct());
    boolean over = maxSecondPct() > LIMIT_PCT;
    result.put("client_cpu_over_limit", over);
    if (over) {
      System.err.printf(
          "WARNING: the load generator used %.0f %% of a core in its busiest second (limit %.0f %%): it may have"
              + " held the server back; this run understates the server%n",
          maxSecondPct(), LIMIT_PCT);
    }
  }
}
