package org.parley.cli.commands;

import java.util.List;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.appstate.ChatRef;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "read",
    mixinStandardHelpOptions = true,
    description = "Mark a chat read: on this device, on the account's other devices, and for the senders.")
public final class ReadCommand extends DeviceCommand<ReadCommand.Read> {
  static final class Chat {
    @Option(names = "--with", required = true, paramLabel = "+E164", description = "The 1:1 chat with this contact.")
    String with;

    @Option(names = "--group", required = true, paramLabel = "ID", description = "A group chat (no read receipts to its members).")
    String group;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Chat chat;

  public record Params(String recipient, String groupId) {}

  public record Read(int read) {}

  /**
   * {@code markRead}: marks a chat read up to now, here and on the account's other devices, and
   * sends read receipts to the sender (not to a group's members).
   */
  public static final Handler<Params, Read> MARK_READ =
      Handler.of("markRead", Params.class, Read.class, (device, p, caller) -> {
        Require.oneOf(p.recipient(), "recipient", p.groupId(), "groupId");
        if (p.groupId() == null) {
          return new Read(device.markRead(p.recipient()));
        }
        int read = device.groups().markRead(p.groupId());
        // Reading a chat takes its "marked unread" mark off, on every own device (app state).
        device.appState().chatRead(ChatRef.group(p.groupId()));
        return new Read(read);
      });

  /**
   * signal-cli's {@code type} ({@code read}) and {@code recipient}: delivery receipts go out by
   * themselves, so a receipt this device sends on request is a read receipt.
   */
  public record ReceiptParams(String recipient, String type, List<Long> targetTimestamp) {}

  /**
   * {@code sendReceipt}: signal-cli's name for telling a contact their messages were read; here it
   * marks the chat read, as {@code markRead} does (read receipts for what became read, read sync to
   * own devices). {@code targetTimestamp} is taken and not needed.
   */
  public static final Handler<ReceiptParams, Read> SEND_RECEIPT =
      Handler.of("sendReceipt", ReceiptParams.class, Read.class, (device, p, caller) -> {
        String type = p.type() == null ? "read" : p.type();
        if (!type.equals("read")) {
          throw new IllegalArgumentException("type must be 'read' (delivery receipts are sent by themselves)");
        }
        return new Read(device.markRead(Require.text(p.recipient(), "recipient")));
      });

  @Override
  protected Read run(Invoker invoker, Output output) {
    return invoker.call(MARK_READ, new Params(chat.with, chat.group));
  }

  @Override
  protected void render(Read result, Output output) {
    if (output.json()) {
      output.record("read", Map.of("read", result.read()));
    } else {
      output.note(result.read() + " message(s) marked read");
    }
  }
}
