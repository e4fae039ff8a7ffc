package org.parley.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The regression check: compares the figures of one run of {@code bench/run-all.sh} with the last
 * recorded one and flags every figure more than the threshold worse. A figure is one number of one
 * JSON line, named by its file, what distinguishes the line (server, load, devices) and its field;
 * whether more is better comes from the field's name (per second: more; milliseconds, bytes and
 * CPU per message: less). Lines with the same name (rounds) count by their median.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description = {
      "Compare the figures of a run (a directory of JSON lines from bench/run-all.sh) with a recorded one"
          + " (e.g. the newest bench/results/DATE) and flag every figure more than --threshold % worse.",
      "Exit status 1 when any figure is worse. Figures only one side has are listed, not judged."
    })
public final class Compare implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "BASELINE", description = "The recorded run (directory).")
  Path baseline;

  @Parameters(index = "1", paramLabel = "RUN", description = "The new run (directory).")
  Path run;

  @Option(names = "--threshold", defaultValue = "10", description = "Percent worse that is flagged (default ${DEFAULT-VALUE}).")
  double threshold;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One figure: its value and whether a larger value is better. */
  record Figure(double value, boolean higherIsBetter) {}

  /** A figure's verdict. */
  record Change(String name, Double before, Double after, double percentWorse, boolean flagged) {}

  @Override
  public Integer call() throws IOException {
    List<Change> changes = compare(figures(baseline), figures(run), threshold);
    print(changes, System.out);
    return changes.stream().anyMatch(Change::flagged) ? 1 : 0;
  }

  static List<Change> compare(Map<String, Figure> before, Map<String, Figure> after, double threshold) {
    List<Change> changes = new ArrayList<>();
    TreeMap<String, Boolean> names = new TreeMap<>();
    before.keySet().forEach(n -> names.put(n, true));
    after.keySet().forEach(n -> names.put(n, true));
    for (String name : names.keySet()) {
      Figure old = before.get(name);
      Figure now = after.get(name);
      if (old == null || now == null) {
        changes.add(new Change(name, old == null ? null : old.value(), now == null ? null : now.value(), 0, false));
        continue;
      }
      double worse;
      if (old.value() == 0) {
        worse = now.value() == 0 ? 0 : (now.higherIsBetter() ? -100 : 100);
      } else {
        double ratio = now.value() / old.value();
        worse = 100 * (now.higherIsBetter() ? 1 - ratio : ratio - 1);
      }
      changes.add(new Change(name, old.value(), now.value(), worse, worse > threshold));
    }
    return changes;
  }

  static void print(List<Change> changes, PrintStream out) {
    out.println("| figure | recorded | this run | worse by % | |");
    out.println("|---|---|---|---|---|");
    for (Change c : changes) {
      out.printf("| %s | %s | %s | %s | %s |%n", c.name(), format(c.before()), format(c.after()),
          c.before() == null || c.after() == null ? "" : String.format("%+.1f", c.percentWorse()),
          c.flagged() ? "**WORSE**" : c.before() == null ? "new" : c.after() == null ? "gone" : "");
    }
    long flagged = changes.stream().filter(Change::flagged).count();
    out.println();
    out.println(flagged == 0 ? "no figure is worse than the threshold" : flagged + " figure(s) worse than the threshold");
  }

  private static String format(Double value) {
    return value == null ? "" : value == Math.rint(value) && Math.abs(value) < 1e15 ? String.format("%.0f", value) : String.format("%.2f", value);
  }

  /** Every figure of every {@code *.jsonl} file (and JMH's {@code jmh.json}) in a run's directory. */
  static Map<String, Figure> figures(Path directory) throws IOException {
    Map<String, List<Double>> values = new TreeMap<>();
    Map<String, Boolean> directions = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> listing = Files.list(directory)) {
      files = listing.sorted().toList();
    }
    for (Path file : files) {
      String name = file.getFileName().toString();
      if (name.endsWith(".jsonl")) {
        String set = name.substring(0, name.length() - ".jsonl".length());
        for (String line : Files.readAllLines(file)) {
          if (line.startsWith("{")) {
            line(set, JSON.readTree(line), values, directions);
          }
        }
      } else if (name.equals("jmh.json")) {
        for (JsonNode benchmark : JSON.readTree(file.toFile())) {
          String key = "jmh " + benchmark.path("benchmark").asText().replaceAll(".*\\.", "")
              + " (" + benchmark.path("primaryMetric").path("scoreUnit").asText() + ")";
          add(values, directions, key, benchmark.path("primaryMetric").path("score").asDouble(),
              benchmark.path("mode").asText().equals("thrpt"));
        }
      }
    }
    Map<String, Figure> figures = new TreeMap<>();
    values.forEach((key, list) -> figures.put(key, new Figure(median(list), directions.get(key))));
    return figures;
  }

  /** The figures of one JSON line of set {@code set}. */
  static void line(String set, JsonNode r, Map<String, List<Double>> values, Map<String, Boolean> directions) {
    StringBuilder label = new StringBuilder(set);
    List<String> distinguishing = new ArrayList<>();
    for (String field : List.of("server", "load", "devices_per_user", "envelopes", "messages", "members")) {
      JsonNode v = r.get(field);
      // Parley lines name how its server was started, not which server it is.
      if (v != null && !(field.equals("server") && !r.path("mode").asText().equals("xmpp"))) {
        distinguishing.add(field.equals("server") || field.equals("load") ? v.asText() : field + "=" + v.asText());
      }
    }
    if (!distinguishing.isEmpty()) {
      label.append(" [").append(String.join(", ", distinguishing)).append("]");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = r.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      JsonNode v = field.getValue();
      if (v.isObject() && name.endsWith("_ms")) {
        for (String percentile : List.of("p50", "p99")) {
          if (v.has(percentile)) {
            add(values, directions, label + " " + name + "." + percentile, v.get(percentile).asDouble(), false);
          }
        }
      } else if (v.isNumber()) {
        Boolean higherIsBetter = direction(name);
        if (higherIsBetter != null) {
          add(values, directions, label + " " + name, v.asDouble(), higherIsBetter);
        }
      }
    }
    // What the side by side compares: server CPU per message, however far the server was driven.
    double cpu = r.path("server_cpu_pct").asDouble();
    double messages = r.path("messages_delivered_per_s").asDouble();
    if (cpu > 0 && messages > 0) {
      add(values, directions, label + " server_cpu_us_per_message", cpu * 1e4 / messages, false);
    }
  }

  /** More is better (true), less is better (false), or not a figure to judge (null). */
  static Boolean direction(String field) {
    if (field.startsWith("client_cpu") || field.equals("duration_s") || field.endsWith("_cpus")) {
      return null;
    }
    if (field.endsWith("_per_s") || field.endsWith("_per_s_best")) {
      return true;
    }
    if (field.endsWith("_ms") || field.endsWith("_ms_best") || field.endsWith("_ms_median")
        || field.endsWith("_per_connection_bytes") || field.endsWith("_us_per_message")) {
      return false;
    }
    return null;
  }

  private static void add(Map<String, List<Double>> values, Map<String, Boolean> directions, String key, double value,
      boolean higherIsBetter) {
    values.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    directions.put(key, higherIsBetter);
  }

  private static double median(List<Double> list) {
    List<Double> sorted = list.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
