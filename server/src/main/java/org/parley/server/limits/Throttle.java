package org.parley.server.limits;

import java.time.Duration;
import org.parley.protocol.wire.Status;
import org.parley.server.transport.ApiException;

/** Turns a refused take into the refusal every client understands: RATE_LIMITED, a wait and a sentence. */
public final class Throttle {
  private final RateLimiter limiter;

  public Throttle(RateLimiter limiter) {
    this.limiter = limiter;
  }

  /** Takes {@code cost} tokens or throws "too many WHAT; try again in ...". */
  public void take(Rate rate, String key, long cost, String what) throws ApiException {
    RateLimiter.Verdict verdict = limiter.take(rate, key, cost);
    if (!verdict.allowed()) {
      throw refusal("too many " + what, verdict.retryAfter());
    }
  }

  public void take(Rate rate, String key, String what) throws ApiException {
    take(rate, key, 1, what);
  }

  /** One request under a growing wait, or "too many WHAT; try again in ..." with exactly when. */
  public void backOff(Backoff backoff, String key, String what) throws ApiException {
    RateLimiter.Verdict verdict = limiter.backOff(backoff, key);
    if (!verdict.allowed()) {
      throw refusal("too many " + what, verdict.retryAfter());
    }
  }

  /** Whether a take never waits for the network (the limits are counted in this process). */
  public boolean inMemory() {
    return limiter.inMemory();
  }

  /** Starts {@code key} over under {@code backoff}. */
  public void reset(Backoff backoff, String key) {
    limiter.reset(backoff, key);
  }

  /**
   * The wait told for a quota that others free: a device coming online empties its queue,
   * recipients fetching an attachment free its blob. When that happens the server cannot know, so
   * this is a guess: soon enough to be worth the wait, long enough not to be polled.
   */
  public static final Duration UNTIL_OTHERS_ACT = Duration.ofMinutes(15);

  /** RATE_LIMITED with the wait in {@code retry_after_ms} and in words. */
  public static ApiException refusal(String what, Duration retryAfter) {
    return refusal(Status.RATE_LIMITED, what, retryAfter);
  }

  /** Any refusal that passes with time: {@code status}, the wait in {@code retry_after_ms} and in words. */
  public static ApiException refusal(Status status, String what, Duration retryAfter) {
    return new ApiException(
        status,
        sentence(what, retryAfter),
        response -> response.setRetryAfterMs(Math.max(1, retryAfter.toMillis())));
  }

  /** "WHAT; try again in WAIT": how every refusal that passes with time says when. */
  public static String sentence(String what, Duration wait) {
    return what + "; try again in " + inWords(wait);
  }

  /** "42 s", "3 min", "5 h", rounded up, so that waiting that long is always enough. */
  public static String inWords(Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    if (seconds < 120) {
      return seconds + " s";
    }
    long minutes = (seconds + 59) / 60;
    if (minutes < 120) {
      return minutes + " min";
    }
    return (minutes + 59) / 60 + " h";
  }
}
