package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * A message in a chat: received from someone (type {@value #RECEIVED}) or sent by one of the
 * account's own devices (type {@value #SENT}).
 *
 * @param to the chat partner's number for a sent 1:1 message, else {@code null}
 * @param group the group id, or {@code null} for a 1:1 chat
 * @param status for a received message {@code unread} or {@code read}; for a sent one {@code
 *     pending} (kept in the outbox until the server is reachable), {@code sent}, {@code
 *     delivered}, {@code read}
 */
public record MessageEvent(
    String type,
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
  public static final String RECEIVED = "message";
  public static final String SENT = "sent";

  public static MessageEvent of(
      boolean outgoing, String id, String from, int fromDevice, String to, String group, String body, long timestamp,
      long serverTimestamp, String status) {
    return new MessageEvent(
        outgoing ? SENT : RECEIVED, id, from, fromDevice, to, group, body, timestamp, serverTimestamp, status);
  }

  @JsonIgnore
  public boolean outgoing() {
    return SENT.equals(type);
  }
}
