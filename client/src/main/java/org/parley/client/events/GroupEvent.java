package org.parley.client.events;

import java.util.List;

/**
 * A group's membership changed (the server's notice, DESIGN.md §9).
 *
 * @param kind {@code created}, {@code added}, {@code removed} or {@code left}
 * @param by the number of the member who made the change
 * @param added the numbers of the members who joined
 * @param removed the numbers of the members who were removed or left
 */
public record GroupEvent(
    String kind, String group, String name, String by, List<String> added, List<String> removed, long version,
    long timestamp)
    implements ClientEvent {
  @Override
  public String type() {
    return "group";
  }
}
