package org.parley.cli.commands;

import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = "Finish registration with the verification code; this device becomes the account's primary.")
public final class VerifyCommand extends DeviceCommand {
  @Parameters(paramLabel = "CODE", description = "The six-digit code sent by SMS.")
  String code;

  @Override
  protected int run(Device device, Output output) {
    device.verify(code);
    output.note(
        "registered " + device.local().phone() + " (account " + device.local().account() + ", device "
            + device.local().deviceId() + ")");
    return 0;
  }
}
