package org.parley.cli.output;

import java.util.Map;
import org.parley.client.events.ClientEvent;

/**
 * Where a command writes what it found: plain lines for people or one JSON object per line for
 * scripts ({@code --json}). Commands speak in events and records; the writer picks the form.
 */
public interface Output {
  void event(ClientEvent event);

  /** A record with named fields (a device, a group); plain form prints "key: value" pairs. */
  void record(String type, Map<String, Object> fields);

  /** A human sentence (progress, confirmation); JSON output leaves it to stderr. */
  void note(String text);
}
