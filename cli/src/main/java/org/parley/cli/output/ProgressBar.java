package org.parley.cli.output;

import java.io.PrintStream;
import java.util.Locale;
import org.parley.client.events.HistorySyncEvent;

/**
 * A one-line progress bar for long work (importing history), redrawn in place on stderr so stdout
 * stays clean for scripts.
 */
public final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintStream err;
  private int lastPercent = -1;
  private String lastState = "";

  public ProgressBar(PrintStream err) {
    this.err = err;
  }

  public void show(HistorySyncEvent event) {
    long done = event.state().equals("downloading") ? event.downloaded() : event.imported();
    long total = event.state().equals("downloading") ? event.bytes() : event.records();
    int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
    if (percent == lastPercent && event.state().equals(lastState)) {
      return;
    }
    lastPercent = percent;
    lastState = event.state();
    int filled = percent * WIDTH / 100;
    String unit = event.state().equals("downloading") ? "bytes" : "records";
    err.printf(
        Locale.ROOT,
        "\rhistory part %d %-11s [%s%s] %3d%% (%,d of %,d %s)",
        event.part() + 1,
        event.state(),
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        percent,
        done,
        total,
        unit);
    if (event.state().equals("imported")) {
      err.println();
    }
    err.flush();
  }
}
