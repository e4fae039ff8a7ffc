package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A contact's device took ({@code delivery}) or showed ({@code read}) messages this account sent.
 *
 * @param name the address book's name for {@code from}, if any (no field otherwise)
 */
public record ReceiptEvent(
    String kind, String from, int fromDevice, List<String> messageIds, long timestamp,
    @JsonInclude(JsonInclude.Include.NON_NULL) String name)
    implements ClientEvent {
  public ReceiptEvent(String kind, String from, int fromDevice, List<String> messageIds, long timestamp) {
    this(kind, from, fromDevice, messageIds, timestamp, null);
  }

  public ReceiptEvent withName(String name) {
    return new ReceiptEvent(kind, from, fromDevice, messageIds, timestamp, name);
  }

  @Override
  public String type() {
    return "receipt";
  }
}
