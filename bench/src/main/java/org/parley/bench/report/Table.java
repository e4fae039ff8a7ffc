package org.parley.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Turns JSON result lines (relay and xmpp runs) into the side-by-side table of BENCHMARKS.md. */
@Command(
    name = "table",
    mixinStandardHelpOptions = true,
    description = "Print the side-by-side table (Markdown) of the relay/xmpp result lines in FILE: a row per run,"
        + " numbered per server (the rounds), then, with several rounds, each server's median msgs/s per server core"
        + " and the load generator's busiest second.")
public final class Table implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "A file of JSON result lines (--out of the modes).")
  Path file;

  @Override
  public Integer call() throws Exception {
    print(Files.readAllLines(file), System.out);
    return 0;
  }

  /** One row per run (numbered per server: the side by side's rounds), then with several rounds the medians. */
  static void print(List<String> allLines, PrintStream out) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = allLines.stream().filter(l -> l.startsWith("{")).toList();
    out.println("| server | round | devices | envelopes/msg | load | delivered msgs/s | delivered envelopes/s | p50 ms | p99 ms | p99.9 ms | server CPU % | server CPU ms per 1000 msgs | msgs/s per server core | server peak RSS MB | load generator CPU % (busiest second), transport |");
    out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    Map<String, List<Double>> perCoreByServer = new TreeMap<>();
    Map<String, List<Double>> generatorByServer = new TreeMap<>();
    Map<String, Integer> rounds = new TreeMap<>();
    for (String line : lines) {
      JsonNode r = json.readTree(line);
      String mode = r.path("mode").asText();
      if (!mode.equals("relay") && !mode.equals("xmpp")) {
        continue;
      }
      JsonNode latency = r.path("submit_to_delivered_ms");
      String server = mode.equals("relay") ? "Parley" : r.path("server").asText();
      double msgs = r.path("messages_delivered_per_s").asDouble();
      double cpu = r.path("server_cpu_pct").asDouble();
      // CPU per message normalises away a load generator that could not saturate the server.
      String cpuPerThousand = msgs > 0 && cpu > 0 ? String.format("%.0f", cpu * 10 / msgs * 1000) : "";
      String perCore = msgs > 0 && cpu > 0 ? String.format("%.0f", msgs / (cpu / 100)) : "";
      if (msgs > 0 && cpu > 0) {
        perCoreByServer.computeIfAbsent(server, s -> new ArrayList<>()).add(msgs / (cpu / 100));
      }
      if (r.has("client_cpu_max_1s_pct")) {
        generatorByServer.computeIfAbsent(server, s -> new ArrayList<>()).add(r.path("client_cpu_max_1s_pct").asDouble());
      }
      out.printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          server, rounds.merge(server, 1, Integer::sum), r.path("connected_devices").asText(), r.path("envelopes_per_message").asText(),
          r.path("load").asText(), r.path("messages_delivered_per_s").asText(),
          r.path("envelopes_delivered_per_s").asText(), latency.path("p50").asText(),
          latency.path("p99").asText(), latency.path("p99_9").asText(), r.path("server_cpu_pct").asText(),
          cpuPerThousand, perCore, r.path("server_peak_rss_mb").asText(), generator(r));
    }
    summary(perCoreByServer, generatorByServer, out);
  }

  /** With several rounds: the median per server core of each server, and Parley's ratio to it. */
  private static void summary(Map<String, List<Double>> perCore, Map<String, List<Double>> generator, PrintStream out) {
    if (perCore.values().stream().allMatch(runs -> runs.size() < 2)) {
      return;
    }
    Double parley = perCore.containsKey("Parley") ? median(perCore.get("Parley")) : null;
    out.println();
    out.println("| server | runs | median msgs/s per server core | min–max | Parley per core ÷ this | load generator CPU %, busiest second of any run |");
    out.println("|---|---|---|---|---|---|");
    perCore.forEach((server, runs) -> {
      double median = median(runs);
      double busiest = generator.getOrDefault(server, List.of()).stream().mapToDouble(Double::doubleValue).max().orElse(-1);
      out.printf("| %s | %d | %.0f | %.0f–%.0f | %s | %s |%n", server, runs.size(), median,
          runs.stream().mapToDouble(Double::doubleValue).min().orElse(0),
          runs.stream().mapToDouble(Double::doubleValue).max().orElse(0),
          parley == null ? "" : String.format("%.2f×", parley / median),
          busiest < 0 ? "" : String.format("%.1f", busiest) + (busiest > CpuWatch.LIMIT_PCT ? " **over " + (int) CpuWatch.LIMIT_PCT + " %**" : ""));
    });
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /**
   * The generator's CPU, flagged when its busiest second passed the limit (it may have held the
   * server back), and the socket API it ran on (its CPU depends on it).
   */
  private static String generator(JsonNode r) {
    String average = r.path("client_cpu_pct").asText();
    String on = r.has("transport") ? ", " + r.path("transport").asText() : "";
    if (!r.has("client_cpu_max_1s_pct")) {
      return average + on;
    }
    String text = average + " (" + r.path("client_cpu_max_1s_pct").asText() + ")" + on;
    return r.path("client_cpu_over_limit").asBoolean() ? text + " **over " + (int) CpuWatch.LIMIT_PCT + " %**" : text;
  }
}
