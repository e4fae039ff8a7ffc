package org.parley.cli.daemon;

import java.time.Duration;
import java.util.List;
import org.parley.client.events.LoggedEvent;
import org.parley.client.store.EventLog;

/**
 * Follows a profile's event log for the daemon's consumers (a subscription, an SSE stream, the
 * webhook): each asks for "what comes after the last id I handed on" and waits when nothing does.
 * The log is the truth; a wake-up only shortens the wait, so a consumer sees every event once and
 * in order, however many there are and whenever it comes back.
 */
final class EventFeed {
  static final int BATCH = 256;

  private final EventLog log;
  private final Object signal = new Object();
  private long appends;

  EventFeed(EventLog log) {
    this.log = log;
    log.onAppend(this::appended);
  }

  EventLog log() {
    return log;
  }

  /** Wakes every waiting consumer, so one that was told to stop stops now. */
  void wakeAll() {
    appended();
  }

  private void appended() {
    synchronized (signal) {
      appends++;
      signal.notifyAll();
    }
  }

  /** The events after {@code eventId}; if there are none, waits up to {@code wait} for some. */
  List<LoggedEvent> after(long eventId, Duration wait) throws InterruptedException {
    long seen;
    synchronized (signal) {
      seen = appends;
    }
    List<LoggedEvent> events = log.after(eventId, BATCH);
    if (!events.isEmpty()) {
      return events;
    }
    synchronized (signal) {
      if (appends == seen) {
        signal.wait(Math.max(1, wait.toMillis()));
      }
    }
    return log.after(eventId, BATCH);
  }
}
