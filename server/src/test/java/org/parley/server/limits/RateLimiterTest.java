package org.parley.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.parley.server.testing.MutableClock;

class RateLimiterTest {
  private static final Duration REFILL = Duration.ofSeconds(10);

  private final MutableClock clock = MutableClock.now();
  private final RateLimiter limiter = new RateLimiter(clock, 3, REFILL);

  @Test
  void aBurstUpToTheCapacityPassesAndTheNextIsRefused() {
    assertThat(takeAll("+15550100123")).isEqualTo(3);
    assertThat(limiter.tryAcquire("+15550100123")).isFalse();
  }

  @Test
  void oneTokenComesBackPerRefillPeriod() {
    takeAll("k");

    clock.advance(REFILL.minusMillis(1));
    assertThat(limiter.tryAcquire("k")).as("just before the period").isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(limiter.tryAcquire("k")).isTrue();
    assertThat(limiter.tryAcquire("k")).isFalse();
  }

  @Test
  void partOfAPeriodIsNotLostWhenAskedEarly() {
    takeAll("k");

    clock.advance(REFILL.multipliedBy(6).dividedBy(10));
    assertThat(limiter.tryAcquire("k")).isFalse();
    clock.advance(REFILL.multipliedBy(6).dividedBy(10));

    assertThat(limiter.tryAcquire("k")).isTrue();
  }

  @Test
  void aLongPauseRefillsOnlyUpToTheCapacity() {
    takeAll("k");

    clock.advance(REFILL.multipliedBy(100));

    assertThat(takeAll("k")).isEqualTo(3);
  }

  @Test
  void keysHaveBucketsOfTheirOwn() {
    takeAll("+15550100001");

    assertThat(limiter.tryAcquire("+15550100002")).isTrue();
  }

  @Test
  void retryAfterSaysWhenTheNextTokenComes() {
    assertThat(limiter.retryAfter("never seen")).isZero();
    limiter.tryAcquire("k");
    assertThat(limiter.retryAfter("k")).as("tokens left").isZero();

    takeAll("k");
    assertThat(limiter.retryAfter("k")).isEqualTo(REFILL);
    clock.advance(Duration.ofSeconds(4));
    assertThat(limiter.retryAfter("k")).isEqualTo(Duration.ofSeconds(6));
    clock.advance(Duration.ofSeconds(6));
    assertThat(limiter.retryAfter("k")).isZero();
  }

  private int takeAll(String key) {
    int taken = 0;
    while (limiter.tryAcquire(key)) {
      taken++;
      if (taken > 1_000) {
        throw new AssertionError("the bucket never runs dry");
      }
    }
    return taken;
  }
}
