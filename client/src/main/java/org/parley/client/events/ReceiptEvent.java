package org.parley.client.events;

import java.util.List;

/** A contact's device took ({@code delivery}) or showed ({@code read}) messages this account sent. */
public record ReceiptEvent(String kind, String from, int fromDevice, List<String> messageIds, long timestamp)
    implements ClientEvent {
  @Override
  public String type() {
    return "receipt";
  }
}
