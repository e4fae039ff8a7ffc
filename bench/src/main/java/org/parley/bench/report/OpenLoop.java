package org.parley.bench.report;

import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Open-loop pacing: a send is due every 1/rate seconds whether or not the server kept up, so a late
 * answer counts against the server (latency is measured from when the send was due).
 */
public final class OpenLoop {
  private OpenLoop() {}

  /**
   * Starts a lean driver's load on its event loop: with {@code rate} above 0, a pacer thread (returned,
   * to join) hands each due send to the loop; otherwise the loop issues {@code inFlight} sends at once
   * (closed loop: each completion issues the next) and null is returned.
   */
  public static Thread startOn(Executor loop, double rate, int inFlight, long until, BooleanSupplier stopping, LongConsumer send) {
    if (rate > 0) {
      return Thread.ofPlatform().name("open-loop").start(() -> run(rate, until, stopping, due -> loop.execute(() -> send.accept(due))));
    }
    loop.execute(() -> {
      for (int i = 0; i < inFlight; i++) {
        send.accept(System.nanoTime());
      }
    });
    return null;
  }

  /** Calls {@code send} with each due time (System.nanoTime) until {@code until} or {@code stopping}. */
  public static void run(double rate, long until, BooleanSupplier stopping, LongConsumer send) {
    long start = System.nanoTime();
    double interval = 1e9 / rate;
    long sent = 0;
    while (!stopping.getAsBoolean()) {
      long due = start + (long) (sent * interval);
      long now = System.nanoTime();
      if (due > now) {
        LockSupport.parkNanos(Math.min(due - now, 1_000_000));
        continue;
      }
      if (due >= until) {
        break;
      }
      send.accept(due);
      sent++;
    }
  }
}
