package org.parley.server.limits;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One kind of token bucket: its name (the key space; stores and options call it so), how many
 * tokens it holds when full, and how fast they come back ({@code refill} tokens every {@code per}).
 * Written {@code BURST,REFILL/DURATION}, e.g. {@code 100,1/1s} or {@code 128MiB,1MiB/1s}.
 */
public record Rate(String name, long burst, long refill, Duration per) {
  private static final Pattern SPEC =
      Pattern.compile("\\s*(\\d+)\\s*([KMG]iB)?\\s*,\\s*(\\d+)\\s*([KMG]iB)?\\s*/\\s*(\\d*)\\s*(ms|s|m|h|d)\\s*");

  public Rate {
    if (burst < 1 || refill < 1 || per.isNegative() || per.isZero()) {
      throw new IllegalArgumentException(
          "rate " + name + " needs a burst and a refill of at least 1 and a positive period");
    }
  }

  public static Rate of(String name, long burst, long refill, Duration per) {
    return new Rate(name, burst, refill, per);
  }

  /** Reads {@code BURST,REFILL/DURATION}; sizes may carry KiB, MiB or GiB; the duration's number defaults to 1. */
  public static Rate parse(String name, String spec) {
    Matcher m = SPEC.matcher(spec);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + spec + "' is not a rate for " + name + "; write BURST,REFILL/DURATION, e.g. 100,1/1s or 128MiB,1MiB/1s");
    }
    long burst = Long.parseLong(m.group(1)) * unit(m.group(2));
    long refill = Long.parseLong(m.group(3)) * unit(m.group(4));
    long amount = m.group(5).isEmpty() ? 1 : Long.parseLong(m.group(5));
    return new Rate(name, burst, refill, Durations.of(amount, m.group(6)));
  }

  private static long unit(String suffix) {
    if (suffix == null) {
      return 1;
    }
    return switch (suffix.toUpperCase(Locale.ROOT)) {
      case "KIB" -> 1024L;
      case "MIB" -> 1024L * 1024;
      default -> 1024L * 1024 * 1024;
    };
  }

  /** Tokens earned per nanosecond. */
  public double perNano() {
    return (double) refill / per.toNanos();
  }

  /** How long {@code tokens} take to come back. */
  public Duration timeFor(double tokens) {
    return Duration.ofNanos((long) Math.ceil(Math.max(0, tokens) / perNano()));
  }

  /** The same rate under its option syntax. */
  public String spec() {
    return burst + "," + refill + "/" + Durations.format(per);
  }

  @Override
  public String toString() {
    return name + "=" + spec();
  }

  /** Durations in the units of DESIGN.md §12, for specs and for sentences ("try again in 5m"). */
  public static final class Durations {
    private Durations() {}

    /** {@code amount} of a unit as written in the options: ms, s, m, h or d (anything else: days). */
    public static Duration of(long amount, String unit) {
      return switch (unit) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    }

    public static String format(Duration d) {
      long ms = d.toMillis();
      if (ms % 86_400_000 == 0) {
        return ms / 86_400_000 + "d";
      }
      if (ms % 3_600_000 == 0) {
        return ms / 3_600_000 + "h";
      }
      if (ms % 60_000 == 0) {
        return ms / 60_000 + "m";
      }
      if (ms % 1000 == 0) {
        return ms / 1000 + "s";
      }
      return ms + "ms";
    }
  }
}
