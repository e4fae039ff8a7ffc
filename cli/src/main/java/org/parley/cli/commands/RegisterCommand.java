package org.parley.cli.commands;

import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "register",
    mixinStandardHelpOptions = true,
    description = "Ask the server for a verification code for a phone number; finish with 'parley verify CODE'.")
public final class RegisterCommand extends DeviceCommand {
  @Option(names = "--server", required = true, paramLabel = "URL", description = "The server, e.g. ws://127.0.0.1:8080.")
  String server;

  @Option(names = "--phone", required = true, paramLabel = "+E164", description = "The phone number, e.g. +15550100123.")
  String phone;

  @Option(names = "--name", paramLabel = "NAME", description = "This device's name (default: primary).")
  String name;

  @Override
  protected int run(Device device, Output output) {
    device.requestCode(server, phone, name);
    output.note("verification code requested for " + device.local().phone() + "; finish with 'parley verify CODE'");
    return 0;
  }
}
