package org.parley.client.events;

/**
 * A label was put on (or taken off) a chat, or one message of a chat (app state, DESIGN.md §16).
 *
 * @param label the label's id; {@code labelName} its name
 * @param chat the contact's number for a 1:1 chat, else the group ID; {@code name} its name, if any
 * @param messageId the message, or {@code null} for the whole chat
 * @param added true when the label was put on, false when taken off
 */
public record LabelledEvent(
    String label, String labelName, String chat, String name, String messageId, boolean added, int byDevice,
    long timestamp)
    implements ClientEvent {
  @Override
  public String type() {
    return "labelled";
  }
}
