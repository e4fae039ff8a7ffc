package org.parley.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.parley.server.testing.MutableClock;

class LocalRateLimiterTest extends RateLimiterContract {
  @Override
  RateLimiter newLimiter(MutableClock clock) {
    return new LocalRateLimiter(clock);
  }

  @Test
  void bucketsThatFilledUpAgainAreForgottenUnderAFloodOfKeys() {
    for (int i = 0; i < 10_001; i++) {
      limiter.take(THREE_PER_10S, "flood-" + i);
    }
    clock.advance(Duration.ofMinutes(1));
    limiter.take(THREE_PER_10S, "trigger");

    assertThat(((LocalRateLimiter) limiter).size()).isLessThan(10);
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
}
