package org.parley.client.events;

/**
 * Progress of taking in one history bundle from the primary (DESIGN.md §7): what a progress bar in
 * {@code parley link} draws, and what {@code receive --json} reports as type {@code history-sync}.
 *
 * @param state {@code downloading} ({@code downloaded} of {@code bytes}), {@code importing}
 *     ({@code imported} of {@code records}), then {@code imported} once the bundle is committed
 * @param fromTimestamp oldest message in the bundle (epoch ms, 0 if it holds none)
 * @param toTimestamp newest message in the bundle
 */
public record HistorySyncEvent(
    String state,
    int part,
    boolean lastPart,
    long records,
    long imported,
    long bytes,
    long downloaded,
    long fromTimestamp,
    long toTimestamp)
    implements ClientEvent {
  public String type() {
    return "history-sync";
  }
}
