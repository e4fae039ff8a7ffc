package org.parley.client.events;

/**
 * A label was created, renamed, given another colour, or deleted (app state, DESIGN.md §16).
 *
 * @param label the label's id (names may change, the id does not)
 * @param name its name (for {@code deleted}: the name it had, if this device knew it)
 * @param colour {@code #rrggbb}
 * @param change {@code created}, {@code changed} or {@code deleted}
 */
public record LabelEvent(String label, String name, String colour, String change, int byDevice, long timestamp)
    implements ClientEvent {
  @Override
  public String type() {
    return "label";
  }
}
