package org.parley.cli.commands;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.Command;

@Command(
    name = "devices",
    mixinStandardHelpOptions = true,
    description = "List the account's devices: id, name, kind, linked, last seen, and which is the primary.")
public final class DevicesCommand extends DeviceCommand<DevicesCommand.Devices> {
  /**
   * @param listRefused the last time this primary refused the server's copy of its device list
   *     (DESIGN.md §3: the primary's own list is the truth), or {@code null}
   */
  public record Devices(List<Device.DeviceView> devices, Device.DeviceListIncident listRefused) {}

  /** {@code listDevices}: the account's devices, primary first. */
  public static final Handler<Handler.None, Devices> LIST_DEVICES =
      Handler.of(
          "listDevices", Handler.None.class, Devices.class,
          (device, p, caller) -> new Devices(device.devices(), device.deviceListIncident()));

  @Override
  protected Devices run(Invoker invoker, Output output) {
    return invoker.call(LIST_DEVICES, new Handler.None());
  }

  @Override
  protected void render(Devices result, Output output) {
    boolean json = output.json();
    for (Device.DeviceView view : result.devices()) {
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
    Device.DeviceListIncident refused = result.listRefused();
    if (refused != null) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("type", "device-list-refused");
      fields.put("at", json ? (Object) refused.at() : time(refused.at()));
      fields.put("message", refused.message());
      output.record("device-list-refused", fields);
    }
  }

  private static String time(long millis) {
    return millis <= 0 ? "-" : Instant.ofEpochMilli(millis).toString();
  }
}
