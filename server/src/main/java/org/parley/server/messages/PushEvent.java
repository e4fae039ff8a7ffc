package org.parley.server.messages;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A live envelope's way to its device's socket, as a Java Flight Recorder event: its duration is the
 * wait from the hand-over to the device's event loop until the pump ran there (the loop's task queue),
 * and whether it went out before its commit or only with it. Costs nothing unless a recording asks
 * for it; with the writer's batches ({@code org.parley.WriterBatch}) it splits a delivery tail into
 * its stages (BENCHMARKS.md, "Latency at half rate").
 */
@Name(PushEvent.NAME)
@Label("Live push")
@Category({"Parley", "Delivery"})
@Description("An envelope handed to its device's pump: how long it waited for the event loop, and which way it went")
@StackTrace(false)
final class PushEvent extends Event {
  static final String NAME = "org.parley.Push";

  @Label("Way")
  @Description("early: pushed before its commit; declined: left to its commit; committed: pushed when its commit came;"
      + " placed: its commit placed an early push; read: left to a read of the store; late: offered below the read position")
  String way;
}
