package org.parley.client.events;

/**
 * A name in the account's own address book was set or removed (app state, DESIGN.md §16).
 *
 * @param name the new name, or {@code null} once removed
 * @param byDevice the own device that made the change
 * @param timestamp when that device made it (epoch ms)
 */
public record ContactNameEvent(String phone, String name, int byDevice, long timestamp) implements ClientEvent {
  @Override
  public String type() {
    return "contact-name";
  }
}
