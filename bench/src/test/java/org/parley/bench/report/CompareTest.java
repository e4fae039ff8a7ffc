package org.parley.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareTest {
  @TempDir Path dir;

  @Test
  void flagsOnlyFiguresMoreThanTheThresholdWorseInTheirOwnDirection() throws IOException {
    Path recorded = run("recorded",
        "{\"mode\":\"relay\",\"load\":\"open loop, 3000.0 messages/s\",\"envelopes_committed_per_s\":9000,"
            + "\"submit_to_delivered_ms\":{\"count\":5,\"p50\":2.0,\"p99\":20.0},\"server_cpu_pct\":100,"
            + "\"messages_delivered_per_s\":3000,\"client_cpu_pct\":30,\"date\":\"x\"}");
    Path now = run("now",
        "{\"mode\":\"relay\",\"load\":\"open loop, 3000.0 messages/s\",\"envelopes_committed_per_s\":8200,"
            + "\"submit_to_delivered_ms\":{\"count\":5,\"p50\":1.0,\"p99\":23.0},\"server_cpu_pct\":100,"
            + "\"messages_delivered_per_s\":3000,\"client_cpu_pct\":90,\"date\":\"y\"}");

    Map<String, Compare.Change> changes = byName(Compare.compare(Compare.figures(recorded), Compare.figures(now), 10));

    String set = "set [open loop, 3000.0 messages/s] ";
    assertThat(changes.get(set + "envelopes_committed_per_s").flagged()).as("8.9 % fewer per second").isFalse();
    assertThat(changes.get(set + "submit_to_delivered_ms.p99").flagged()).as("15 % slower").isTrue();
    assertThat(changes.get(set + "submit_to_delivered_ms.p50").percentWorse()).isEqualTo(-50.0);
    assertThat(changes.get(set + "server_cpu_us_per_message").before()).isCloseTo(333.3, org.assertj.core.data.Offset.offset(0.1));
    assertThat(changes).doesNotContainKey(set + "client_cpu_pct");
  }

  @Test
  void roundsCountByTheirMedianAndServersAreTellApart() throws IOException {
    Path recorded = run("recorded",
        "{\"mode\":\"xmpp\",\"server\":\"ejabberd\",\"messages_delivered_per_s\":4000}",
        "{\"mode\":\"xmpp\",\"server\":\"ejabberd\",\"messages_delivered_per_s\":1000}",
        "{\"mode\":\"xmpp\",\"server\":\"ejabberd\",\"messages_delivered_per_s\":4200}",
        "{\"mode\":\"xmpp\",\"server\":\"prosody\",\"messages_delivered_per_s\":1500}");
    Path now = run("now",
        "{\"mode\":\"xmpp\",\"server\":\"ejabberd\",\"messages_delivered_per_s\":3900}",
        "{\"mode\":\"xmpp\",\"server\":\"prosody\",\"messages_delivered_per_s\":1000}");

    Map<String, Compare.Change> changes = byName(Compare.compare(Compare.figures(recorded), Compare.figures(now), 10));

    assertThat(changes.get("set [ejabberd] messages_delivered_per_s").before()).isEqualTo(4000.0);
    assertThat(changes.get("set [ejabberd] messages_delivered_per_s").flagged()).isFalse();
    assertThat(changes.get("set [prosody] messages_delivered_per_s").flagged()).isTrue();
  }

  @Test
  void aFigureOnlyOneSideHasIsListedNotJudged() throws IOException {
    Path recorded = run("recorded", "{\"mode\":\"drain\",\"drain_ms_best\":80}");
    Path now = run("now", "{\"mode\":\"drain\",\"drain_ms_best\":85,\"cold_send_ms\":700}");

    List<Compare.Change> changes = Compare.compare(Compare.figures(recorded), Compare.figures(now), 10);

    assertThat(changes).extracting(Compare.Change::name).containsExactly("set cold_send_ms", "set drain_ms_best");
    assertThat(changes).noneMatch(Compare.Change::flagged);
  }

  private Path run(String name, String... lines) throws IOException {
    Path run = Files.createDirectories(dir.resolve(name));
    Files.write(run.resolve("set.jsonl"), List.of(lines));
    return run;
  }

  private static Map<String, Compare.Change> byName(List<Compare.Change> changes) {
    return changes.stream().collect(java.util.stream.Collectors.toMap(Compare.Change::name, c -> c));
  }
}
