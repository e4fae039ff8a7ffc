package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.appstate.AppState;

/**
 * The result of an app-state change (DESIGN.md §16): what was done, whether it changed anything, and
 * whether it has reached the server for the account's other devices (if not, it is kept and sent
 * with the next connection).
 *
 * @param what a sentence: "archived +15550001002"
 * @param pending why the change has not reached the other devices yet, or {@code null}
 */
public record Changed(String what, boolean changed, boolean synced, String pending) {
  static Changed of(String what, AppState.Change change) {
    return new Changed(what, change.changed(), change.synced(), change.pendingReason());
  }

  void render(Output output) {
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("what", what);
      fields.put("changed", changed);
      fields.put("synced", synced);
      if (pending != null) {
        fields.put("pending", pending);
      }
      output.record("changed", fields);
      return;
    }
    output.note(changed ? what : what + " (it already was)");
    if (!synced) {
      output.note(
          "not yet on your other devices: " + pending + "; it is kept and sent when this device next reaches the"
              + " server (any command, or 'parley receive')");
    }
  }
}
