package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A message in a chat: received from someone (type {@value #RECEIVED}) or sent by one of the
 * account's own devices (type {@value #SENT}).
 *
 * @param to the chat partner's number for a sent 1:1 message, else {@code null}
 * @param group the group id, or {@code null} for a 1:1 chat
 * @param status for a received message {@code unread} or {@code read}; for a sent one {@code
 *     pending} (kept in the outbox until the server is reachable), {@code sent}, {@code
 *     delivered}, {@code read}; {@code system} for a line the device wrote itself (type
 *     {@value #SYSTEM}: a chat assigned to an agent, a verified group change; see {@link #kind()})
 * @param name the address book's name for the other party (the sender of a received message, the
 *     recipient of a sent 1:1 message), if it has one (app state, docs/PROTOCOL.md §13); no field otherwise
 * @param attachments the files the message carries (docs/PROTOCOL.md §14; README.md, commands); no field when it has none
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
    String status,
    @JsonInclude(JsonInclude.Include.NON_NULL) String name,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<AttachmentView> attachments)
    implements ClientEvent {
  public static final String RECEIVED = "message";
  public static final String SENT = "sent";
  public static final String SYSTEM = "system";

  /** The id prefix of a line for a group change (then {@code group-<group id>-<version>}). */
  public static final String GROUP_LINE = "group-";

  public MessageEvent(
      String type, String id, String from, int fromDevice, String to, String group, String body, long timestamp,
      long serverTimestamp, String status) {
    this(type, id, from, fromDevice, to, group, body, timestamp, serverTimestamp, status, null, List.of());
  }

  public MessageEvent {
    attachments = attachments == null ? List.of() : List.copyOf(attachments);
  }

  public static MessageEvent of(
      boolean outgoing, String id, String from, int fromDevice, String to, String group, String body, long timestamp,
      long serverTimestamp, String status) {
    String type = "system".equals(status) ? SYSTEM : outgoing ? SENT : RECEIVED;
    return new MessageEvent(type, id, from, fromDevice, to, group, body, timestamp, serverTimestamp, status);
  }

  /** The same message with the other party's name from the address book. */
  public MessageEvent withName(String name) {
    return new MessageEvent(
        type, id, from, fromDevice, to, group, body, timestamp, serverTimestamp, status, name, attachments);
  }

  /** The same message with its attachments. */
  public MessageEvent withAttachments(List<AttachmentView> value) {
    return new MessageEvent(type, id, from, fromDevice, to, group, body, timestamp, serverTimestamp, status, name, value);
  }

  /**
   * What a {@value #SYSTEM} line tells: {@code group} (a group change this device verified: who added,
   * removed, renamed, named an admin, left) or {@code assigned} (the chat was assigned to an agent);
   * no field for other messages. The device names its own lines, so the id says which.
   */
  @JsonProperty(value = "kind", access = JsonProperty.Access.READ_ONLY)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public String kind() {
    if (!SYSTEM.equals(type)) {
      return null;
    }
    return id != null && id.startsWith(GROUP_LINE) ? "group" : "assigned";
  }

  /** The number of the other party of the chat: the sender, or the recipient of a sent 1:1 message. */
  @JsonIgnore
  public String counterpart() {
    if (SYSTEM.equals(type)) {
      return null;
    }
    return outgoing() ? to : from;
  }

  @JsonIgnore
  public boolean outgoing() {
    return SENT.equals(type);
  }
}
