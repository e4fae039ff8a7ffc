package org.parley.client.events;

/** Progress or completion of importing history from the primary. */
public record HistorySyncEvent(
    String state, int part, boolean lastPart, long records, long imported, long fromTimestamp, long toTimestamp)
    implements ClientEvent {}
