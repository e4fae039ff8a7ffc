package org.parley.client.events;

/**
 * A message in a chat: received from someone ({@code outgoing} false, DESIGN.md type "message") or
 * sent by one of the account's own devices ("sent").
 *
 * @param to the chat partner's number for a sent 1:1 message, else {@code null}
 * @param group the group id, or {@code null} for a 1:1 chat
 */
public record MessageEvent(
    boolean outgoing,
    String id,
    String from,
    int fromDevice,
    String to,
    String group,
    String body,
    long timestamp,
    long serverTimestamp,
    String status)
    implements ClientEvent {
  public String type() {
    return outgoing ? "sent" : "message";
  }
}
