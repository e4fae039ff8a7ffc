package org.parley.server.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.server.testing.MutableClock;

class LocalRateLimiterTest extends RateLimiterContract {
  @Override
  RateLimiter newLimiter(MutableClock clock) {
    return new LocalRateLimiter(clock);
  }

  @Override
  RateLimiter newLimiter(MutableClock clock, int maxKeys) {
    return new LocalRateLimiter(clock, maxKeys);
  }

  @Override
  long backoffKeys(RateLimiter limiter) {
    return ((LocalRateLimiter) limiter).backoffKeys();
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

  /**
   * Issue 11: at most 10 wrong guesses per number in any 24 h. The greediest guesser (back the moment
   * each refusal says) gets 10 in the first day and never 11 within any 24 h; under the old 10,10/1d
   * the 11th came 2.4 h after the first.
   */
  @Test
  void theDefaultCodeGuessesAllowTenInAnyDayAndNoMore() {
    Rate guesses = Rates.defaults().codeGuesses();
    List<Long> allowedAt = new ArrayList<>();
    List<Duration> refusals = new ArrayList<>();
    while (allowedAt.size() < 25) {
      RateLimiter.Verdict verdict = limiter.take(guesses, "+15550100123");
      if (verdict.allowed()) {
        allowedAt.add(clock.millis());
      } else {
        refusals.add(verdict.retryAfter());
        clock.advance(Duration.ofMillis((verdict.retryAfter().toNanos() + 999_999) / 1_000_000));
      }
    }

    assertThat(allowedAt.get(9) - allowedAt.get(0)).as("10 guesses within a day (to the millisecond)")
        .isLessThanOrEqualTo(Duration.ofDays(1).toMillis() + 5);
    for (int i = 0; i + 10 < allowedAt.size(); i++) {
      assertThat(allowedAt.get(i + 10) - allowedAt.get(i)).as("11 guesses never within 24 h (from guess %d)", i)
          .isGreaterThanOrEqualTo(Duration.ofDays(1).toMillis());
    }
    assertThat(refusals.getFirst())
        .as("the 6th of a burst is told 4.8 h: one guess comes back every 24 h / 5")
        .isBetween(Duration.ofMinutes(288), Duration.ofMinutes(288).plusMillis(1));
    assertThat(Throttle.inWords(refusals.getFirst())).isEqualTo("5 h");
  }

  @Test
  void backOffsAreWrittenFreeFirstLongestQuiet() {
    assertThat(Backoff.parse("code-request-backoff", "2,1m,4h,1d")).isEqualTo(Rates.defaults().codeRequests());
    assertThat(Rates.defaults().codeRequests().spec()).isEqualTo("2,1m,4h,1d");
    assertThat(Rates.defaults().with(Rates.CODE_REQUEST_BACKOFF, "3,30s,1h,12h").codeRequests().waitAfter(4))
        .isEqualTo(Duration.ofMinutes(1));
    assertThat(Rates.defaults().codeRequests().waitAfter(100)).isEqualTo(Duration.ofHours(4));
    assertThatThrownBy(() -> Backoff.parse("code-request-backoff", "3,1/10m")).hasMessageContaining("FREE,FIRST,LONGEST,QUIET");
    assertThatThrownBy(() -> Backoff.parse("code-request-backoff", "2,1h,1m,1d")).hasMessageContaining("at least the first");
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
