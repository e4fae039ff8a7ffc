package org.parley.cli.output;

import java.util.Map;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.LoggedEvent;

/**
 * Where a command writes its result: plain lines for people or one JSON object per line for
 * scripts ({@code --json}). Commands speak in events, records and notes; the writer picks the form.
 */
public interface Output {
  /** Whether this writes JSON (a command's record may differ, e.g. times as epoch ms). */
  boolean json();

  /** An event from the profile's event log; JSON carries its {@code eventId}. */
  void event(LoggedEvent event);

  /** An event shown as it happens and not logged (a progress step), or one without its id. */
  void event(ClientEvent event);

  /** A record with named fields (a device, a group); plain form prints "key: value" pairs. */
  void record(String type, Map<String, Object> fields);

  /** A human sentence (progress, confirmation); JSON output leaves it to stderr. */
  void note(String text);
}
