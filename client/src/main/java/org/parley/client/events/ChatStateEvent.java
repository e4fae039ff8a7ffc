package org.parley.client.events;

/**
 * A chat was archived, pinned, muted or marked unread, or one of those was undone (app state,
 * DESIGN.md §16).
 *
 * @param chat the contact's number for a 1:1 chat, else the group ID
 * @param name the contact's name in the address book or the group's name, if any
 * @param change {@code archived}, {@code unarchived}, {@code pinned}, {@code unpinned}, {@code
 *     muted}, {@code unmuted}, {@code marked-unread} or {@code unmarked-unread}
 * @param mutedUntil for {@code muted}: until when (epoch ms), -1 for ever; else 0
 */
public record ChatStateEvent(
    String chat, String name, String change, long mutedUntil, int byDevice, long timestamp) implements ClientEvent {
  @Override
  public String type() {
    return "chat-state";
  }
}
