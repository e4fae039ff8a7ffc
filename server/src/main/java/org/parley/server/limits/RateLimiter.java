package org.parley.server.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets by key (a phone number, an account, a remote address): {@code capacity} at once,
 * then one more every {@code refillEvery}. Full buckets are forgotten, so memory follows only the
 * keys that are being limited right now.
 */
public final class RateLimiter {
  private static final int SWEEP_ABOVE = 10_000;
  private static final long SWEEP_EVERY_NANOS = 10_000_000_000L;

  private final Clock clock;
  private final int capacity;
  private final long refillNanos;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong lastSweep = new java.util.concurrent.atomic.AtomicLong();

  public RateLimiter(Clock clock, int capacity, Duration refillEvery) {
    this.clock = clock;
    this.capacity = capacity;
    this.refillNanos = Math.max(1, refillEvery.toNanos());
  }

  /** Takes one token; false when the key has none left. */
  public boolean tryAcquire(String key) {
    long now = nanos();
    long swept = lastSweep.get();
    // At most one sweep per interval: under a flood of distinct keys, each call must stay cheap.
    if (buckets.size() > SWEEP_ABOVE && now - swept > SWEEP_EVERY_NANOS && lastSweep.compareAndSet(swept, now)) {
      sweep();
    }
    Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(capacity, now));
    synchronized (bucket) {
      bucket.refill(now, capacity, refillNanos);
      if (bucket.tokens < 1) {
        return false;
      }
      bucket.tokens--;
      return true;
    }
  }

  /** How long until the key has a token again. */
  public Duration retryAfter(String key) {
    Bucket bucket = buckets.get(key);
    if (bucket == null) {
      return Duration.ZERO;
    }
    synchronized (bucket) {
      long now = nanos();
      bucket.refill(now, capacity, refillNanos);
      return bucket.tokens >= 1 ? Duration.ZERO : Duration.ofNanos(refillNanos - (now - bucket.updated));
    }
  }

  private long nanos() {
    Duration sinceEpoch = Duration.ofMillis(clock.millis());
    return sinceEpoch.toNanos();
  }

  private void sweep() {
    long now = nanos();
    buckets.entrySet().removeIf(entry -> {
      synchronized (entry.getValue()) {
        entry.getValue().refill(now, capacity, refillNanos);
        return entry.getValue().tokens >= capacity;
      }
    });
  }

  private static final class Bucket {
    private long tokens;
    private long updated;

    Bucket(long tokens, long now) {
      this.tokens = tokens;
      this.updated = now;
    }

    void refill(long now, int capacity, long refillNanos) {
      long elapsed = now - updated;
      if (elapsed < refillNanos) {
        return;
      }
      long earned = elapsed / refillNanos;
      tokens = Math.min(capacity, tokens + earned);
      updated = tokens == capacity ? now : updated + earned * refillNanos;
    }
  }
}
