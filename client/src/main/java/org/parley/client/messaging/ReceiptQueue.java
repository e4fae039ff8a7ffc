package org.parley.client.messaging;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Delivery receipts owed to senders, gathered while a batch of envelopes is taken in and sent as one
 * receipt per sender afterwards. Losing them in a crash costs only a "delivered" tick.
 */
public final class ReceiptQueue {
  private final Map<UUID, List<String>> owed = new LinkedHashMap<>();

  public synchronized void owe(UUID sender, String messageId) {
    owed.computeIfAbsent(sender, s -> new ArrayList<>()).add(messageId);
  }

  public synchronized Map<UUID, List<String>> drain() {
    Map<UUID, List<String>> out = new LinkedHashMap<>(owed);
    owed.clear();
    return out;
  }
}
