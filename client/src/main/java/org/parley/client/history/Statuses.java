package org.parley.client.history;

import org.parley.protocol.wire.HistoryStatus;

/** The message history's status words and their names in a bundle. */
final class Statuses {
  private Statuses() {}

  static HistoryStatus toBundle(String status) {
    return switch (status) {
      case "sent" -> HistoryStatus.HISTORY_STATUS_SENT;
      case "delivered" -> HistoryStatus.HISTORY_STATUS_DELIVERED;
      case "read" -> HistoryStatus.HISTORY_STATUS_READ;
      case "unread" -> HistoryStatus.HISTORY_STATUS_UNREAD;
      case "system" -> HistoryStatus.HISTORY_STATUS_SYSTEM;
      default -> HistoryStatus.HISTORY_STATUS_UNSPECIFIED;
    };
  }

  static String fromBundle(HistoryStatus status, boolean outgoing) {
    return switch (status) {
      case HISTORY_STATUS_DELIVERED -> "delivered";
      case HISTORY_STATUS_READ -> "read";
      case HISTORY_STATUS_UNREAD -> "unread";
      case HISTORY_STATUS_SENT -> "sent";
      case HISTORY_STATUS_SYSTEM -> "system";
      default -> outgoing ? "sent" : "unread";
    };
  }

  /**
   * SQL ranking a status column, so that a merge only ever moves a status forward: sent and unread
   * first, then delivered, then read.
   */
  static String rank(String column) {
    return "(CASE " + column + " WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 ELSE 1 END)";
  }
}
