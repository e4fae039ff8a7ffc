package org.parley.cli.commands;

import java.time.Duration;
import org.parley.cli.Durations;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "receive",
    mixinStandardHelpOptions = true,
    description = "Take and print what arrives until nothing has come for the timeout.")
public final class ReceiveCommand extends DeviceCommand {
  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "Stop after this long without anything arriving (default: 5s).")
  Duration timeout = Duration.ofSeconds(5);

  @Option(names = "--json", description = "One JSON object per line.")
  boolean json;

  @Override
  protected boolean json() {
    return json;
  }

  @Override
  protected int run(Device device, Output output) {
    device.receive(timeout, output::event);
    return device.local().unlinkedReason() != null ? 1 : 0;
  }
}
