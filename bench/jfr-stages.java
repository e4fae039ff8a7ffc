import java.nio.file.*;
import java.time.*;
import java.util.*;
import jdk.jfr.consumer.*;

/**
 * Splits a relay's latency tail into its server-side stages, from a flight recording of the server
 * (issue 16; BENCHMARKS.md "Latency at half rate"):
 *
 *   bench/parley-bench relay ... --server-jvm "-XX:StartFlightRecording=filename=/tmp/r.jfr,settings=default"
 *   java bench/jfr-stages.java /tmp/r.jfr [SECONDS]
 *
 * Percentiles (ms) of the SQLite writer's batches (org.parley.WriterBatch: size, oldest work's wait,
 * holds slept, work, commit), of the live pushes' wait for their event loop by the way they went
 * (org.parley.Push), and the longest collections. SECONDS: only the recording's last so many (the
 * measured window, not registration).
 */
public class Stages {
  static String pct(List<Double> v) {
    if (v.isEmpty()) return "n=0";
    Collections.sort(v);
    java.util.function.DoubleFunction<Double> p = q -> v.get((int) Math.min(v.size() - 1, Math.floor(q / 100 * v.size())));
    return String.format("n=%d p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f", v.size(), p.apply(50), p.apply(90), p.apply(99), p.apply(99.9), v.get(v.size() - 1));
  }
  static double ms(Duration d) { return d.toNanos() / 1e6; }
  public static void main(String[] a) throws Exception {
    List<RecordedEvent> all = RecordingFile.readAllEvents(Path.of(a[0]));
    all.sort(Comparator.comparing(RecordedEvent::getStartTime));
    Instant end = all.get(all.size() - 1).getEndTime();
    Instant start = a.length > 1 ? end.minusSeconds(Long.parseLong(a[1])) : Instant.MIN;
    Map<String, List<Double>> wait = new TreeMap<>();
    List<Double> oldest = new ArrayList<>(), held = new ArrayList<>(), work = new ArrayList<>(), commit = new ArrayList<>(), tasks = new ArrayList<>();
    int skipped = 0, batches = 0;
    List<String> gcs = new ArrayList<>();
    double gcTotal = 0; int gcN = 0;
    Map<String, Integer> ways = new TreeMap<>();
    for (RecordedEvent e : all) {
      if (e.getStartTime().isBefore(start)) continue;
      switch (e.getEventType().getName()) {
        case "org.parley.WriterBatch" -> {
          batches++;
          if (e.getBoolean("skipped")) { skipped++; }
          oldest.add(e.getLong("oldestWait") / 1e6); held.add(e.getLong("held") / 1e6);
          tasks.add((double) e.getInt("tasks"));
          if (!e.getBoolean("skipped")) { work.add(e.getLong("work") / 1e6); commit.add(e.getLong("commit") / 1e6); }
        }
        case "org.parley.Push" -> {
          String w = e.getString("way");
          ways.merge(w, 1, Integer::sum);
          wait.computeIfAbsent(w, k -> new ArrayList<>()).add(ms(e.getDuration()));
        }
        case "jdk.GarbageCollection" -> { gcN++; gcTotal += ms(e.getDuration()); gcs.add(String.format("%.1f(%s)", ms(e.getDuration()), e.getString("name"))); }
        default -> {}
      }
    }
    System.out.printf("writer batches %d (skipped %d)%n  tasks %s%n  oldestWait %s%n  held %s%n  work %s%n  commit %s%n", batches, skipped, pct(tasks), pct(oldest), pct(held), pct(work), pct(commit));
    System.out.println("pushes by way " + ways);
    wait.forEach((k, v) -> System.out.println("  loop wait " + k + " " + pct(v)));
    System.out.printf("gc %d collections, %.0f ms total; longest: %s%n", gcN, gcTotal, gcs.stream().sorted(Comparator.comparingDouble(s -> -Double.parseDouble(s.substring(0, s.indexOf('('))))).limit(8).toList());
  }
}
