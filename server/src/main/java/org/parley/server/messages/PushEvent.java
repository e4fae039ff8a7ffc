package org.parley.server.messages;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A live envelope's way to its device's socket, as a Java Flight Recorder event: its duration is the
 * wait from the hand-over to the device's event loop until the pump ran there (the loop's task queue),
 * and whether it went out before its commit or only with it. Costs nothing unless a recording asks
 * for it; with the writer's batches ({@code org.parley.WriterBatch}) it splits a delivery tail into
 * its stages (BENCHMARKS.md, "Latency at half rate"). Without a recording that enables it, no event
 * object is made at all (the pump's task would otherwise carry one per envelope).
 */
@Name(PushEvent.NAME)
@Label("Live push")
@Category({"Parley", "Delivery"})
@Description("An envelope handed to its device's pump: how long it waited for the event loop, and which way it went")
@StackTrace(false)
final class PushEvent extends Event {
  static final String NAME = "org.parley.Push";
  private static final EventType TYPE = EventType.getEventType(PushEvent.class);

  @Label("Way")
  @Description("early: pushed before its commit; declined: left to its commit; committed: pushed when its commit came;"
      + " placed: its commit placed an early push; read: left to a read of the store; late: offered below the read position")
  String way;

  /** An event timing the hand-over from now, or null when no recording wants it. */
  static PushEvent handedOver() {
    if (!TYPE.isEnabled()) {
      return null;
    }
    PushEvent event = new PushEvent();
    event.begin();
    return event;
  }

  /** The pump's task runs: the wait ends here. */
  static void running(PushEvent event) {
    if (event != null) {
      event.end();
    }
  }

  /** Which way the envelope went; records the event. */
  static void went(PushEvent event, String way) {
    if (event != null) {
      event.way = way;
      event.commit();
    }
  }
}
