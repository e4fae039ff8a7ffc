package org.parley.client.events;

import java.util.List;

/**
 * A group's membership changed (the server's notice, DESIGN.md §9).
 *
 * @param kind {@code created}, {@code added}, {@code removed}, {@code left}, {@code renamed} or {@code
 *     admins} (who is an admin changed; {@code listGroups} tells who is one now)
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
