package org.parley.client.history;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One step of a history sync, timed, as a Java Flight Recorder event: the primary's export and
 * upload of each part, the companion's download, check and import. Costs nothing unless a recording
 * (or the benchmark's event stream) asks for it, and needs no listener threaded through the API.
 */
@Name(HistoryPhase.NAME)
@Label("History sync phase")
@Category({"Parley", "History sync"})
@Description("A step of handing history to a new companion: export, upload, download, verify or import of one part")
@StackTrace(false)
public final class HistoryPhase extends Event {
  public static final String NAME = "org.parley.HistoryPhase";

  @Label("Phase")
  public String phase;

  @Label("Part")
  public int part;

  @Label("Records")
  public long records;

  @Label("Bytes")
  @DataAmount
  public long bytes;

  /** Begins timing a phase; {@link #end} commits it. */
  static HistoryPhase begin(String phase, int part) {
    HistoryPhase event = new HistoryPhase();
    event.phase = phase;
    event.part = part;
    event.begin();
    return event;
  }

  void end(long records, long bytes) {
    this.records = records;
    this.bytes = bytes;
    commit();
  }
}
