package org.parley.server.limits;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A growing wait per key (issue 11: code requests back off): the first {@code free} requests pass at
 * once, each later one must wait {@code first}, then twice that, and so on up to {@code longest}
 * after the one before it. A success ({@link RateLimiter#reset}) or {@code quiet} without a granted
 * request starts the key over. Written {@code FREE,FIRST,LONGEST,QUIET}, e.g. {@code 2,1m,4h,1d}.
 */
public record Backoff(String name, int free, Duration first, Duration longest, Duration quiet) {
  private static final Pattern SPEC =
      Pattern.compile("\\s*(\\d+)\\s*,\\s*(\\d+(?:ms|s|m|h|d))\\s*,\\s*(\\d+(?:ms|s|m|h|d))\\s*,\\s*(\\d+(?:ms|s|m|h|d))\\s*");

  public Backoff {
    if (free < 1 || !positive(first) || longest.compareTo(first) < 0 || !positive(quiet)) {
      throw new IllegalArgumentException(
          "back-off " + name + " needs at least 1 free request, a positive first wait, a longest wait at least the first"
              + " and a positive quiet period");
    }
  }

  /** How long after the last granted request the next must wait, once {@code granted} have passed. */
  public Duration waitAfter(long granted) {
    if (granted < free) {
      return Duration.ZERO;
    }
    // Doubling from `first`; past 2^40 it is far beyond any sensible `longest` (and cannot overflow).
    long doublings = Math.min(granted - free, 40);
    double millis = first.toMillis() * Math.pow(2, doublings);
    return Duration.ofMillis((long) Math.min(longest.toMillis(), millis));
  }

  /** Reads {@code FREE,FIRST,LONGEST,QUIET}; durations as in rates ({@code 1m}, {@code 4h}, {@code 1d}). */
  public static Backoff parse(String name, String spec) {
    Matcher m = SPEC.matcher(spec);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + spec + "' is not a back-off for " + name
              + "; write FREE,FIRST,LONGEST,QUIET, e.g. 2,1m,4h,1d (2 at once, then waits of 1m, 2m, 4m ... up to 4h;"
              + " a day without one starts over)");
    }
    return new Backoff(
        name, Integer.parseInt(m.group(1)), duration(m.group(2)), duration(m.group(3)), duration(m.group(4)));
  }

  /** The same back-off under its option syntax. */
  public String spec() {
    return free + "," + Rate.Durations.format(first) + "," + Rate.Durations.format(longest) + ","
        + Rate.Durations.format(quiet);
  }

  @Override
  public String toString() {
    return name + "=" + spec();
  }

  private static Duration duration(String text) {
    int unit = text.length() - (text.endsWith("ms") ? 2 : 1);
    return Rate.Durations.of(Long.parseLong(text.substring(0, unit)), text.substring(unit));
  }

  private static boolean positive(Duration d) {
    return !d.isNegative() && !d.isZero();
  }
}
