package org.parley.bench.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.parley.client.history.HistoryPhase;

/**
 * The client's history-sync phases (its {@link HistoryPhase} flight-recorder events), heard live in
 * this JVM while the bench's primary and companion run: how long each part's export, upload,
 * download, check and import took, and when.
 */
public final class HistoryPhases implements AutoCloseable {
  /** One phase of one part. */
  public record Phase(String name, int part, Instant start, Instant end, long records, long bytes) {
    double ms() {
      return Duration.between(start, end).toNanos() / 1e6;
    }
  }

  private final RecordingStream stream = new RecordingStream();
  private final List<Phase> phases = new ArrayList<>();

  public HistoryPhases() {
    stream.enable(HistoryPhase.NAME).withoutThreshold();
    stream.onEvent(HistoryPhase.NAME, this::heard);
    stream.startAsync();
  }

  private synchronized void heard(RecordedEvent e) {
    phases.add(
        new Phase(e.getString("phase"), e.getInt("part"), e.getStartTime(), e.getEndTime(), e.getLong("records"),
            e.getLong("bytes")));
    notifyAll();
  }

  /** Every phase heard so far; the stream delivers about once a second, so wait for the last one with {@link #awaitPhase}. */
  public synchronized List<Phase> phases() {
    return List.copyOf(phases);
  }

  /** True once a phase of this name and part has been heard, within the timeout. */
  public boolean awaitPhase(String name, int part, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (phases.stream().noneMatch(p -> p.name().equals(name) && p.part() == part)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  /** Milliseconds per phase and part ("export_1_ms"), in the order heard. */
  public synchronized Map<String, Double> millis() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Phase p : phases) {
      out.merge(p.name() + "_" + p.part() + "_ms", Math.round(p.ms() * 10) / 10.0, Double::sum);
    }
    return out;
  }

  @Override
  public void close() {
    stream.close();
  }
}
