package org.parley.cli.commands;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.linking.PrimaryLinker;
import org.parley.client.linking.QrCodes;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "add-device",
    mixinStandardHelpOptions = true,
    description = "On the primary: link the device that shows this QR code or link code and send it the history.")
public final class AddDeviceCommand extends DeviceCommand<AddDeviceCommand.Added> {
  static final class Code {
    @Option(names = "--qr-png", required = true, paramLabel = "FILE", description = "A PNG image of the QR code.")
    Path png;

    @Option(names = "--uri", required = true, paramLabel = "URI", description = "The 'parley://link?' line.")
    String uri;

    @Option(
        names = "--code",
        required = true,
        paramLabel = "XXXX-XXXX",
        description = "The 8-character code the new device shows ('parley link --code' there).")
    String code;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Code code;

  @Option(
      names = "--history-days",
      paramLabel = "N",
      description = "Send the new device this many days of history (default: ${DEFAULT-VALUE}).")
  int historyDays = 365;

  /**
   * @param uri the {@code parley://link?} line the new device shows
   * @param code or the 8-character code it shows (docs/PROTOCOL.md §6.1)
   */
  public record Params(String uri, Integer historyDays, String code) {}

  public record Added(int deviceId, String name, String kind) {}

  /** {@code addDevice}: on the primary, links the device that shows this QR code and sends it the history. */
  public static final Handler<Params, Added> ADD_DEVICE =
      Handler.of("addDevice", Params.class, Added.class, (device, p, caller) -> {
        int days = p.historyDays() == null ? 365 : p.historyDays();
        PrimaryLinker.Linked linked =
            p.code() != null && p.uri() == null
                ? device.addDeviceByCode(p.code(), days)
                : device.addDevice(Require.text(p.uri(), "uri"), days);
        return new Added(linked.deviceId(), linked.name(), linked.kind());
      });

  @Override
  protected Added run(Invoker invoker, Output output) {
    // The image is read here: the file is on this side even when a daemon does the linking.
    if (code.code != null) {
      return invoker.call(ADD_DEVICE, new Params(null, historyDays, code.code));
    }
    String uri = code.uri != null ? code.uri : QrCodes.readPng(code.png);
    return invoker.call(ADD_DEVICE, new Params(uri, historyDays, null));
  }

  @Override
  protected void render(Added result, Output output) {
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("deviceId", result.deviceId());
      fields.put("name", result.name());
      fields.put("kind", result.kind());
      output.record("device-added", fields);
    } else {
      output.note("linked device " + result.deviceId() + " (" + result.name() + ", " + result.kind() + ")");
    }
  }
}
