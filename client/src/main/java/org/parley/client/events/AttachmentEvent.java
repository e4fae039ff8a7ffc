package org.parley.client.events;

/**
 * An attachment of a message was fetched and verified (status {@code fetched}, {@code path} set),
 * or could not be ({@code failed}, with the reason): the message's own event came before it, with
 * {@code path} still null.
 *
 * @param message the id of the message that carries it
 * @param from the number of its author
 */
public record AttachmentEvent(
    String id, String message, String from, String contentType, long size, String fileName, String path,
    String status, String error) implements ClientEvent {
  @Override
  public String type() {
    return "attachment";
  }
}
