package org.parley.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.parley.server.testing.MutableClock;

class LocalRateLimiterTest {
  private static final Rate THREE_PER_10S = Rate.of("test", 3, 1, Duration.ofSeconds(10));

  private final MutableClock clock = MutableClock.now();
  private final LocalRateLimiter limiter = new LocalRateLimiter(clock);

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

  @Test
  void bucketsThatFilledUpAgainAreForgottenUnderAFloodOfKeys() {
    for (int i = 0; i < 10_001; i++) {
      limiter.take(THREE_PER_10S, "flood-" + i);
    }
    clock.advance(Duration.ofMinutes(1));
    limiter.take(THREE_PER_10S, "trigger");

    assertThat(limiter.size()).isLessThan(10);
  }

  @Test
  void ratesAreWrittenAsBurstAndRefillPerDuration() {
    assertThat(Rate.parse("lookups", "100,1/1s")).isEqualTo(Rate.of("lookups", 100, 1, Duration.ofSeconds(1)));
    assertThat(Rate.parse("bytes", "128MiB, 1MiB/s"))
        .isEqualTo(Rate.of("bytes", 128L << 20, 1L << 20, Duration.ofSeconds(1)));
    assertThat(Rate.parse("guesses", "10,10/1d").spec()).isEqualTo("10,10/1d");
    assertThatThrownBy(() -> Rate.parse("lookups", "100 per second"))
        .hasMessageContaining("write BURST,REFILL/DURATION");
    assertThatThrownBy(() -> Rate.parse("lookups", "0,1/1s")).hasMessageContaining("at least 1");
  }

  @Test
  void throttleWordsTheWaitRoundedUp() {
    assertThat(Throttle.inWords(Duration.ofMillis(1))).isEqualTo("1 s");
    assertThat(Throttle.inWords(Duration.ofMillis(41_001))).isEqualTo("42 s");
    assertThat(Throttle.inWords(Duration.ofMinutes(10))).isEqualTo("10 min");
    assertThat(Throttle.inWords(Duration.ofHours(20).plusSeconds(1))).isEqualTo("21 h");
  }

  private int takeAll(String key) {
    int taken = 0;
    while (limiter.take(THREE_PER_10S, key).allowed()) {
      taken++;
    }
    return taken;
  }
}
