package org.parley.cli.commands;

import java.util.LinkedHashMap;
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
    Device.SendResult sent =
        target.group != null ? device.groups().sendText(target.group, text) : device.sendText(target.to, text);
    for (String declined : sent.declined()) {
      output.note("warning: not sent to " + declined + ": not vouched for by its primary");
    }
    if (json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("id", sent.messageId());
      fields.put("to", target.to);
      fields.put("group", target.group);
      fields.put("timestamp", sent.timestamp());
      fields.put("serverTimestamp", sent.serverTimestamp());
      output.record("sent", fields);
    }
    return 0;
  }
}
