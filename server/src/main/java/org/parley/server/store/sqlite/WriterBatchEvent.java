package org.parley.server.store.sqlite;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One batch of the SQLite writer, as a Java Flight Recorder event: how long its oldest work waited
 * (queued, and held for acks), how long the writer slept out holds before it, and how long the work
 * and the commit took. Costs nothing unless a recording asks for it; it is how a latency tail is
 * split into the writer's stages (BENCHMARKS.md, "Latency at half rate").
 */
@Name(WriterBatchEvent.NAME)
@Label("SQLite writer batch")
@Category({"Parley", "Store"})
@Description("One group commit of the SQLite writer: its size, its oldest work's wait, the holds before it, its work and commit")
@StackTrace(false)
final class WriterBatchEvent extends Event {
  static final String NAME = "org.parley.WriterBatch";

  @Label("Tasks")
  int tasks;

  @Label("Skipped")
  @Description("Every task's envelopes were acked during the hold: nothing was run, committed or synced")
  boolean skipped;

  @Label("Oldest wait")
  @Description("From the submission of the batch's oldest task to the batch's start")
  @Timespan
  long oldestWait;

  @Label("Held")
  @Description("Time the writer slept out ack holds since the previous batch")
  @Timespan
  long held;

  @Label("Work")
  @Timespan
  long work;

  @Label("Commit")
  @Timespan
  long commit;
}
