package org.parley.cli.commands;

import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "unlink",
    mixinStandardHelpOptions = true,
    description = "Remove a companion (on the primary: 'unlink ID'), or this companion ('unlink --self').")
public final class UnlinkCommand extends DeviceCommand {
  static final class Target {
    @Parameters(paramLabel = "DEVICE_ID", description = "The companion to remove (see 'parley devices').")
    Integer deviceId;

    @Option(names = "--self", required = true, description = "Unlink this companion device.")
    boolean self;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Override
  protected int run(Device device, Output output) {
    if (target.self) {
      device.unlinkSelf();
      output.note("this device is unlinked; link it again with 'parley link'");
    } else {
      device.unlink(target.deviceId);
      output.note("device " + target.deviceId + " is unlinked");
    }
    return 0;
  }
}
