package org.parley.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The side-by-side table of three rounds: a row per round, then the median per server core and the generator's worst second. */
class TableTest {
  @Test
  void numbersTheRoundsOfEachServerAndGivesTheirMedianAndTheGeneratorsBusiestSecond() throws IOException {
    List<String> lines = new ArrayList<>();
    double[][] rounds = {{20000, 100, 40.0, 4000, 100}, {18000, 100, 55.0, 4400, 100}, {21000, 100, 41.0, 4200, 100}};
    for (double[] r : rounds) {
      lines.add(line("relay", null, r[0], r[1], r[2]));
      lines.add(line("xmpp", "ejabberd", r[3], r[4], 20));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Table.print(lines, new PrintStream(bytes, true, StandardCharsets.UTF_8));

    String table = bytes.toString(StandardCharsets.UTF_8);
    assertThat(table).contains("| Parley | 1 |", "| Parley | 2 |", "| Parley | 3 |", "| ejabberd | 3 |");
    assertThat(table).contains("| Parley | 3 | 20000 | 18000–21000 | 1.00× | 55.0 **over 50 %** |");
    assertThat(table).contains("| ejabberd | 3 | 4200 | 4000–4400 | 4.76× | 20.0 |");
    // Each row says which socket API its generator ran on, when the line names one.
    assertThat(table).contains("| 35.0 (40.0), io_uring |", "| 50.0 (55.0), io_uring **over 50 %** |", "| 15.0 (20.0) |");
  }

  private static String line(String mode, String server, double msgs, double serverCpu, double generatorBusiest) {
    return "{\"mode\":\"" + mode + "\"" + (server == null ? ",\"transport\":\"io_uring\"" : ",\"server\":\"" + server + "\"")
        + ",\"messages_delivered_per_s\":" + msgs + ",\"server_cpu_pct\":" + serverCpu
        + ",\"client_cpu_pct\":" + (generatorBusiest - 5) + ",\"client_cpu_max_1s_pct\":" + generatorBusiest
        + ",\"client_cpu_over_limit\":" + (generatorBusiest > 50) + ",\"submit_to_delivered_ms\":{\"p50\":1.0,\"p99\":2.0}}";
  }
}
