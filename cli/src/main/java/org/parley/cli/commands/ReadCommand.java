package org.parley.cli.commands;

import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "read",
    mixinStandardHelpOptions = true,
    description = "Mark a chat read: on this device, on the account's other devices, and for the senders.")
public final class ReadCommand extends DeviceCommand {
  static final class Chat {
    @Option(names = "--with", required = true, paramLabel = "+E164", description = "The 1:1 chat with this contact.")
    String with;

    @Option(names = "--group", required = true, paramLabel = "ID", description = "A group chat (no read receipts to its members).")
    String group;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Chat chat;

  @Override
  protected int run(Device device, Output output) {
    int read = chat.group != null ? device.groups().markRead(chat.group) : device.markRead(chat.with);
    output.note(read + " message(s) marked read");
    return 0;
  }
}
