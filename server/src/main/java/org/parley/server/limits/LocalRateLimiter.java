package org.parley.server.limits;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-process {@link RateLimiter}: one bucket per (rate, key) in a map. Buckets that have filled
 * up again are forgotten on a sweep, so memory follows only the keys being limited right now; back-off
 * state is kept by {@link LocalBackoffs}, bounded.
 */
public final class LocalRateLimiter implements RateLimiter {
  private static final int SWEEP_ABOVE = 10_000;
  private static final long SWEEP_EVERY_NANOS = 10_000_000_000L;

  private final Clock clock;
  private final Map<BucketKey, Bucket> buckets = new ConcurrentHashMap<>();
  private final AtomicLong lastSweep = new AtomicLong();
  private final LocalBackoffs backoffs;

  private record BucketKey(Rate rate, String key) {}

  public LocalRateLimiter(Clock clock) {
    this(clock, LocalBackoffs.DEFAULT_MAX_KEYS);
  }

  /** With at most {@code maxBackoffKeys} keys under back-off remembered (the longest-quiet go first). */
  LocalRateLimiter(Clock clock, int maxBackoffKeys) {
    this.clock = clock;
    this.backoffs = new LocalBackoffs(clock, maxBackoffKeys);
  }

  @Override
  public boolean inMemory() {
    return true;
  }

  @Override
  public Verdict backOff(Backoff backoff, String key) {
    return backoffs.attempt(backoff, key);
  }

  @Override
  public void reset(Backoff backoff, String key) {
    backoffs.reset(backoff, key);
  }

  /** Keys under back-off remembered now (for tests of the bound). */
  int backoffKeys() {
    return backoffs.size();
  }

  @Override
  public Verdict take(Rate rate, String key, long cost) {
    long now = nanos();
    long swept = lastSweep.get();
    // At most one sweep per interval: under a flood of distinct keys, each call must stay cheap.
    if (buckets.size() > SWEEP_ABOVE && now - swept > SWEEP_EVERY_NANOS && lastSweep.compareAndSet(swept, now)) {
      sweep(now);
    }
    Bucket bucket = buckets.computeIfAbsent(new BucketKey(rate, key), k -> new Bucket(rate.burst(), now));
    synchronized (bucket) {
      bucket.refill(rate, now);
      double needed = Math.min(cost, rate.burst());
      if (bucket.tokens < needed) {
        return Verdict.refused(rate.timeFor(needed - bucket.tokens));
      }
      bucket.tokens -= cost;
      return Verdict.ALLOWED;
    }
  }

  /** Buckets held now (for tests of the sweep). */
  int size() {
    return buckets.size();
  }

  private long nanos() {
    // From the injected clock, so tests can move time; millisecond resolution is plenty for limits.
    return clock.millis() * 1_000_000L;
  }

  private void sweep(long now) {
    buckets.entrySet().removeIf(entry -> {
      synchronized (entry.getValue()) {
        entry.getValue().refill(entry.getKey().rate(), now);
        return entry.getValue().tokens >= entry.getKey().rate().burst();
      }
    });
  }

  private static final class Bucket {
    private double tokens;
    private long updated;

    Bucket(long tokens, long now) {
      this.tokens = tokens;
      this.updated = now;
    }

    void refill(Rate rate, long now) {
      long elapsed = now - updated;
      if (elapsed <= 0) {
        return;
      }
      tokens = Math.min(rate.burst(), tokens + elapsed * rate.perNano());
      updated = now;
    }
  }
}
