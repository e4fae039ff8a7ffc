package org.parley.cli.commands;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "devices",
    mixinStandardHelpOptions = true,
    description = "List the account's devices: id, name, kind, linked, last seen, and which is the primary.")
public final class DevicesCommand extends DeviceCommand {
  @Option(names = "--json", description = "One JSON object per line.")
  boolean json;

  @Override
  protected boolean json() {
    return json;
  }

  @Override
  protected int run(Device device, Output output) {
    for (Device.DeviceView view : device.devices()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("id", view.id());
      fields.put("name", view.name());
      fields.put("kind", view.kind());
      fields.put("primary", view.primary());
      fields.put("thisDevice", view.current());
      fields.put("linkedAt", json ? (Object) view.linkedAt() : time(view.linkedAt()));
      fields.put("lastSeen", json ? (Object) view.lastSeen() : time(view.lastSeen()));
      if (view.unlinkAt() > 0) {
        fields.put("unlinkAt", json ? (Object) view.unlinkAt() : time(view.unlinkAt()));
      }
      output.record("device", fields);
    }
    return 0;
  }

  private static String time(long millis) {
    return millis <= 0 ? "-" : Instant.ofEpochMilli(millis).toString();
  }
}
