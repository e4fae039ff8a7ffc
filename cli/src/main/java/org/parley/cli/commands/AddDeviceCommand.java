package org.parley.cli.commands;

import java.nio.file.Path;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import org.parley.client.linking.PrimaryLinker;
import org.parley.client.linking.QrCodes;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "add-device",
    mixinStandardHelpOptions = true,
    description = "On the primary: link the device that shows this QR code and send it the history.")
public final class AddDeviceCommand extends DeviceCommand {
  static final class Code {
    @Option(names = "--qr-png", required = true, paramLabel = "FILE", description = "A PNG image of the QR code.")
    Path png;

    @Option(names = "--uri", required = true, paramLabel = "URI", description = "The 'parley://link?' line.")
    String uri;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Code code;

  @Option(
      names = "--history-days",
      paramLabel = "N",
      description = "Send the new device this many days of history (default: ${DEFAULT-VALUE}).")
  int historyDays = 365;

  @Override
  protected int run(Device device, Output output) {
    String uri = code.uri != null ? code.uri : QrCodes.readPng(code.png);
    PrimaryLinker.Linked linked = device.addDevice(uri, historyDays);
    output.note("linked device " + linked.deviceId() + " (" + linked.name() + ", " + linked.kind() + ")");
    return 0;
  }
}
