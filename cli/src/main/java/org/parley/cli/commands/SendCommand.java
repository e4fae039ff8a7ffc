package org.parley.cli.commands;

import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "send",
    mixinStandardHelpOptions = true,
    description = "Send a text; exits 0 once the server has stored it for every device.")
public final class SendCommand extends DeviceCommand {
  static final class Target {
    @Option(names = "--to", required = true, paramLabel = "+E164", description = "The contact's phone number.")
    String to;

    @Option(names = "--group", required = true, paramLabel = "ID", description = "A group's id.")
    String group;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Parameters(paramLabel = "TEXT", description = "The message.")
  String text;

  @Option(names = "--json", description = "Print the sent message as a JSON object.")
  boolean json;

  @Override
  protected boolean json() {
    return json;
  }

  @Override
  protected int run(Device device, Output output) {
    if (target.group != null) {
      throw new IllegalArgumentException("group messages come with groups; use --to +E164");
    }
    Device.SendResult sent = device.sendText(target.to, text);
    for (String declined : sent.declined()) {
      output.note("warning: not sent to " + declined + ": not vouched for by its primary");
    }
    if (json) {
      output.record(
          "sent",
          Map.of("id", sent.messageId(), "to", target.to, "timestamp", sent.timestamp(),
              "serverTimestamp", sent.serverTimestamp()));
    }
    return 0;
  }
}
