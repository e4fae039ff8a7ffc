package org.parley.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Turns JSON result lines (relay and xmpp runs) into the side-by-side table of BENCHMARKS.md. */
@Command(
    name = "table",
    mixinStandardHelpOptions = true,
    description = "Print the side-by-side table (Markdown) of the relay/xmpp result lines in FILE.")
public final class Table implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "A file of JSON result lines (--out of the modes).")
  Path file;

  @Override
  public Integer call() throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(file).stream().filter(l -> l.startsWith("{")).toList();
    System.out.println("| server | devices | envelopes/msg | load | delivered msgs/s | delivered envelopes/s | p50 ms | p99 ms | p99.9 ms | server CPU % | server CPU ms per 1000 msgs | msgs/s per server core | server peak RSS MB | load generator CPU % |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
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
      System.out.printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
          server, r.path("connected_devices").asText(), r.path("envelopes_per_message").asText(),
          r.path("load").asText(), r.path("messages_delivered_per_s").asText(),
          r.path("envelopes_delivered_per_s").asText(), latency.path("p50").asText(),
          latency.path("p99").asText(), latency.path("p99_9").asText(), r.path("server_cpu_pct").asText(),
          cpuPerThousand, perCore, r.path("server_peak_rss_mb").asText(), r.path("client_cpu_pct").asText());
    }
    return 0;
  }
}
