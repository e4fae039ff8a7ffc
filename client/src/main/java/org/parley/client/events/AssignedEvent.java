package org.parley.client.events;

/**
 * A chat was assigned to one of the account's own devices as its agent, or unassigned (app state,
 * DESIGN.md §16). The chat's history gets a line saying so on every device.
 *
 * @param chat the contact's number for a 1:1 chat, else the group ID; {@code name} its name, if any
 * @param deviceId the agent device, 0 when the chat was unassigned; {@code deviceName} its name
 * @param byDevice the own device that made the change
 */
public record AssignedEvent(
    String chat, String name, int deviceId, String deviceName, int byDevice, long timestamp) implements ClientEvent {
  @Override
  public String type() {
    return "assigned";
  }
}
