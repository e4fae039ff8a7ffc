package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Progress of taking in one history bundle from the primary (DESIGN.md §7): what a progress bar in
 * {@code parley link} draws, and what {@code receive --json} reports as type {@code history-sync}.
 *
 * @param state {@code downloading} ({@code downloaded} of {@code bytes}), {@code importing}
 *     ({@code imported} of {@code records}), then {@code imported} once the bundle is committed.
 *     Only {@code imported} goes into the event log (with an {@code eventId}); the progress
 *     states are shown live and not kept.
 * @param fromTimestamp oldest message in the bundle (epoch ms, 0 if it holds none; JSON {@code from})
 * @param toTimestamp newest message in the bundle (JSON {@code to})
 */
public record HistorySyncEvent(
    String state,
    int part,
    boolean lastPart,
    long records,
    long imported,
    long bytes,
    long downloaded,
    @JsonProperty("from") long fromTimestamp,
    @JsonProperty("to") long toTimestamp)
    implements ClientEvent {
  public static final String IMPORTED = "imported";

  @Override
  public String type() {
    return "history-sync";
  }

  /** Whether this is a step of a progress bar rather than something to keep. */
  @JsonIgnore
  public boolean progress() {
    return !IMPORTED.equals(state);
  }
}
