package org.parley.client.events;

/**
 * An event as the profile's event log keeps it (DESIGN.md §13).
 *
 * @param eventId its place in the log: increases with every event and is never reused, so a
 *     consumer that remembers the last one it saw can ask for everything after it
 * @param at when it was logged (epoch ms)
 */
public record LoggedEvent(long eventId, long at, ClientEvent event) {}
