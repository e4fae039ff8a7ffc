package org.parley.server.limits;

import java.time.Duration;

/**
 * Token buckets by rate and key (a phone number, an account id, a client address), and growing waits
 * ({@link Backoff}) by key. Storage-agnostic:
 * {@link LocalRateLimiter} keeps buckets in this process; a cluster keeps them where every node
 * sees them. A caller asks once per action and either goes on or refuses with the wait it is given.
 */
public interface RateLimiter {
  /**
   * Takes {@code cost} tokens from the bucket of {@code key} under {@code rate}. Allowed when the
   * bucket holds at least {@code min(cost, burst)} tokens; it may then go below zero (a cost larger
   * than the burst passes only from a full bucket and is paid back before the next one). Refused
   * buckets are not charged.
   */
  Verdict take(Rate rate, String key, long cost);

  default Verdict take(Rate rate, String key) {
    return take(rate, key, 1);
  }

  /**
   * One request under the growing wait of {@code backoff} for {@code key}: allowed (and counted), or
   * refused, uncounted, with exactly how long until the wait since the last granted one is over.
   */
  Verdict backOff(Backoff backoff, String key);

  /** Starts {@code key} over under {@code backoff} (after a success: the next request waits nothing). */
  void reset(Backoff backoff, String key);

  /** Whether a take is counted in this process, never waiting for the network. */
  default boolean inMemory() {
    return false;
  }

  /** The answer: allowed, or refused with how long until the same cost would pass. */
  record Verdict(boolean allowed, Duration retryAfter) {
    public static final Verdict ALLOWED = new Verdict(true, Duration.ZERO);

    public static Verdict refused(Duration retryAfter) {
      return new Verdict(false, retryAfter.isZero() ? Duration.ofMillis(1) : retryAfter);
    }
  }

  /** Allows everything: for benchmarks that measure the relay without its limits. */
  static RateLimiter unlimited() {
    return new RateLimiter() {
      @Override
      public Verdict take(Rate rate, String key, long cost) {
        return Verdict.ALLOWED;
      }

      @Override
      public Verdict backOff(Backoff backoff, String key) {
        return Verdict.ALLOWED;
      }

      @Override
      public void reset(Backoff backoff, String key) {}

      @Override
      public boolean inMemory() {
        return true;
      }
    };
  }
}
