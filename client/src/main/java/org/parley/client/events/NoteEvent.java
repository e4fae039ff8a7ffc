package org.parley.client.events;

/**
 * An internal note was added to a chat (app state, DESIGN.md §16): seen by the account's own devices
 * only, never by the contact.
 *
 * @param chat the contact's number for a 1:1 chat, else the group ID; {@code name} its name, if any
 * @param note the note's id
 */
public record NoteEvent(String chat, String name, String note, String text, int byDevice, long timestamp)
    implements ClientEvent {
  @Override
  public String type() {
    return "note";
  }
}
