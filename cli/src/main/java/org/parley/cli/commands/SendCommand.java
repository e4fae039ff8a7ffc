package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.List;
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
public final class SendCommand extends DeviceCommand<SendCommand.Sent> {
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

  /** signal-cli's names: one of {@code recipient} (a number) and {@code groupId}, and the {@code message}. */
  public record Params(String recipient, String groupId, String message) {}

  /** @param declined devices that got nothing because their primary did not vouch for them */
  public record Sent(
      String id, String to, String group, long timestamp, long serverTimestamp, List<String> declined) {}

  /** {@code send}: a text to a contact or a group; returns once the server has stored it for every device. */
  public static final Handler<Params, Sent> SEND =
      Handler.of("send", Params.class, Sent.class, (device, p, caller) -> {
        Require.oneOf(p.recipient(), "recipient", p.groupId(), "groupId");
        String message = p.message() == null ? "" : p.message();
        Device.SendResult sent =
            p.groupId() != null ? device.groups().sendText(p.groupId(), message) : device.sendText(p.recipient(), message);
        return new Sent(
            sent.messageId(), p.recipient(), p.groupId(), sent.timestamp(), sent.serverTimestamp(), sent.declined());
      });

  @Override
  protected Sent run(Invoker invoker, Output output) {
    return invoker.call(SEND, new Params(target.to, target.group, text));
  }

  @Override
  protected void render(Sent sent, Output output) {
    for (String declined : sent.declined()) {
      output.note("warning: not sent to " + declined + ": not vouched for by its primary");
    }
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("id", sent.id());
      fields.put("to", sent.to());
      fields.put("group", sent.group());
      fields.put("timestamp", sent.timestamp());
      fields.put("serverTimestamp", sent.serverTimestamp());
      output.record("sent", fields);
    }
  }
}
