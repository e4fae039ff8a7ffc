package org.parley.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.server.testing.MutableClock;

/**
 * What every {@link RateLimiter} does, whatever holds its buckets: run on the in-process one
 * ({@link LocalRateLimiterTest}) and on the one the nodes of a cluster share ({@link RedisRateLimiterIT}).
 */
abstract class RateLimiterContract {
  static final Rate THREE_PER_10S = Rate.of("test", 3, 1, Duration.ofSeconds(10));

  final MutableClock clock = MutableClock.now();
  final RateLimiter limiter = newLimiter(clock);

  /** A limiter with buckets of its own (no other test's), reading time from {@code clock}. */
  abstract RateLimiter newLimiter(MutableClock clock);

  /** As {@link #newLimiter}, remembering at most {@code maxKeys} keys under each back-off; closed by the test class. */
  abstract RateLimiter newLimiter(MutableClock clock, int maxKeys);

  /** How many keys' back-off state the limiter holds now (where it keeps them: in Redis, its keyspace). */
  abstract long backoffKeys(RateLimiter limiter);

  @AfterEach
  void closeLimiter() throws Exception {
    if (limiter instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  @Test
  void aBurstUpToTheCapacityPassesAndTheNextIsRefusedWithTheWait() {
    assertThat(takeAll("+15550100123")).isEqualTo(3);
    RateLimiter.Verdict refused = limiter.take(THREE_PER_10S, "+15550100123");

    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void tokensComeBackAtTheRefillRateAndTheWaitShrinks() {
    takeAll("k");
    clock.advance(Duration.ofSeconds(6));
    assertThat(limiter.take(THREE_PER_10S, "k").retryAfter()).isEqualTo(Duration.ofSeconds(4));

    clock.advance(Duration.ofSeconds(4));
    assertThat(limiter.take(THREE_PER_10S, "k").allowed()).isTrue();
    assertThat(limiter.take(THREE_PER_10S, "k").allowed()).isFalse();
  }

  @Test
  void keysAndRatesHaveTheirOwnBuckets() {
    takeAll("a");
    Rate other = Rate.of("other", 1, 1, Duration.ofHours(1));

    assertThat(limiter.take(THREE_PER_10S, "b").allowed()).isTrue();
    assertThat(limiter.take(other, "a").allowed()).isTrue();
  }

  @Test
  void aCostLargerThanTheBurstPassesFromAFullBucketAndIsPaidBackBeforeTheNext() {
    Rate bytes = Rate.of("bytes", 1000, 100, Duration.ofSeconds(1));

    assertThat(limiter.take(bytes, "k", 1500).allowed()).as("a full bucket lets it through").isTrue();
    RateLimiter.Verdict next = limiter.take(bytes, "k", 1);

    assertThat(next.allowed()).isFalse();
    assertThat(next.retryAfter()).as("500 owed plus the 1 asked").isEqualTo(Duration.ofMillis(5010));
  }

  @Test
  void aRefusedTakeIsNotCharged() {
    Rate bytes = Rate.of("bytes", 100, 10, Duration.ofSeconds(1));
    limiter.take(bytes, "k", 90);

    assertThat(limiter.take(bytes, "k", 50).allowed()).isFalse();
    assertThat(limiter.take(bytes, "k", 10).allowed()).as("the 10 left are still there").isTrue();
  }

  /** 2 at once, then 1, 2, 4 min, capped at 4 min; a day without a request starts over. */
  static final Backoff CODES = new Backoff("test-codes", 2, Duration.ofMinutes(1), Duration.ofMinutes(4), Duration.ofDays(1));

  @Test
  void aBackOffLetsAFewThroughThenDoublesTheWaitUpToTheLongestAndSaysExactlyWhen() {
    assertThat(limiter.backOff(CODES, "+15550100123").allowed()).isTrue();
    assertThat(limiter.backOff(CODES, "+15550100123").allowed()).isTrue();
    for (Duration wait : List.of(Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(4), Duration.ofMinutes(4))) {
      clock.advance(Duration.ofSeconds(10));
      RateLimiter.Verdict early = limiter.backOff(CODES, "+15550100123");
      assertThat(early.allowed()).isFalse();
      assertThat(early.retryAfter()).as("counted from the last granted request").isEqualTo(wait.minusSeconds(10));

      clock.advance(early.retryAfter().minusMillis(1));
      assertThat(limiter.backOff(CODES, "+15550100123").retryAfter()).as("a refusal is not counted").isEqualTo(Duration.ofMillis(1));
      clock.advance(Duration.ofMillis(1));
      assertThat(limiter.backOff(CODES, "+15550100123").allowed()).as("exactly when it said").isTrue();
    }
    assertThat(limiter.backOff(CODES, "+15550100999").allowed()).as("another number has its own").isTrue();
  }

  @Test
  void aResetOrAQuietDayStartsTheKeyOver() {
    for (int i = 0; i < 3; i++) {
      limiter.backOff(CODES, "a");
      limiter.backOff(CODES, "b");
    }
    assertThat(limiter.backOff(CODES, "a").allowed()).isFalse();

    limiter.reset(CODES, "a");
    assertThat(limiter.backOff(CODES, "a").allowed()).as("after a successful verification").isTrue();
    assertThat(limiter.backOff(CODES, "a").allowed()).isTrue();

    clock.advance(Duration.ofDays(1).minusSeconds(1));
    assertThat(limiter.backOff(CODES, "b").allowed()).as("the wait is over, but not the day").isTrue();
    assertThat(limiter.backOff(CODES, "b").retryAfter()).as("and it keeps growing").isEqualTo(Duration.ofMinutes(2));
    clock.advance(Duration.ofDays(1));
    assertThat(limiter.backOff(CODES, "b").allowed()).as("a quiet day").isTrue();
    assertThat(limiter.backOff(CODES, "b").allowed()).as("then free again").isTrue();
    assertThat(limiter.backOff(CODES, "b").retryAfter()).isEqualTo(Duration.ofMinutes(1));
  }

  /** A flood of code requests for distinct numbers keeps no more state than the bound. */
  @Test
  void backOffStateIsBoundedAndTheLongestQuietGoesFirst() {
    RateLimiter small = newLimiter(clock, 100);
    small.backOff(CODES, "victim");
    small.backOff(CODES, "victim");
    small.backOff(CODES, "victim");
    for (int i = 0; i < 300; i++) {
      clock.advance(Duration.ofMillis(1));
      small.backOff(CODES, "+1555" + i);
    }

    assertThat(backoffKeys(small)).isEqualTo(100);
    assertThat(small.backOff(CODES, "victim").allowed()).as("forgotten: the price of the bound").isTrue();
  }

  int takeAll(String key) {
    int taken = 0;
    while (limiter.take(THREE_PER_10S, key).allowed()) {
      taken++;
    }
    return taken;
  }
}
