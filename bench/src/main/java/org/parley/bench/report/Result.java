package org.parley.bench.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One run's figures, in the order they were put: printed as a human table and as one JSON line
 * (the line is what scripts and BENCHMARKS.md tables are made from).
 */
public final class Result {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Object> fields = new LinkedHashMap<>();

  public Result(String mode) {
    fields.put("mode", mode);
    fields.put("date", Instant.now().toString());
    fields.put("machine_cpus", machineCpus());
    // Fewer when the bench runs under taskset (the side by side pins it to one CPU).
    fields.put("bench_cpus", Runtime.getRuntime().availableProcessors());
  }

  private static long machineCpus() {
    try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("processor")).count();
    } catch (IOException e) {
      return -1;
    }
  }

  public Result put(String key, Object value) {
    fields.put(key, value);
    return this;
  }

  public Object get(String key) {
    return fields.get(key);
  }

  /** One decimal: how every figure of a result is written. */
  public static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }

  /** p50/p90/p99/p99.9/max in milliseconds of a histogram recorded in microseconds. */
  public Result latency(String key, Histogram micros) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("count", micros.getTotalCount());
    if (micros.getTotalCount() > 0) {
      summary.put("p50", ms(micros.getValueAtPercentile(50)));
      summary.put("p90", ms(micros.getValueAtPercentile(90)));
      summary.put("p99", ms(micros.getValueAtPercentile(99)));
      summary.put("p99_9", ms(micros.getValueAtPercentile(99.9)));
      summary.put("max", ms(micros.getMaxValue()));
    }
    fields.put(key, summary);
    return this;
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }

  public String json() {
    try {
      return JSON.writeValueAsString(fields);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The table to stderr-free stdout, then the JSON line; the line is also appended to {@code out}. */
  public void print(PrintStream stdout, Path out) {
    int width = fields.keySet().stream().mapToInt(String::length).max().orElse(10);
    for (Map.Entry<String, Object> field : fields.entrySet()) {
      stdout.printf("%-" + width + "s  %s%n", field.getKey(), format(field.getValue()));
    }
    stdout.println(json());
    stdout.flush();
    if (out != null) {
      try {
        Files.writeString(out, json() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        System.err.println("could not append the result to " + out + ": " + e.getMessage());
      }
    }
  }

  private static String format(Object value) {
    if (value instanceof Double d) {
      return String.format("%.2f", d);
    }
    if (value instanceof Map<?, ?> map) {
      StringBuilder text = new StringBuilder();
      map.forEach((k, v) -> text.append(text.isEmpty() ? "" : "  ").append(k).append("=").append(format(v)));
      return text.toString();
    }
    return String.valueOf(value);
  }
}
