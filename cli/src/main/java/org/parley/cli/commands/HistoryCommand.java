package org.parley.cli.commands;

import org.parley.cli.output.Output;
import org.parley.client.Device;
import org.parley.client.events.MessageEvent;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    description = "Print the messages of a chat (or of all chats), oldest first, from this device's store.")
public final class HistoryCommand extends DeviceCommand {
  static final class Chat {
    @Option(names = "--with", paramLabel = "+E164", description = "The 1:1 chat with this contact.")
    String with;

    @Option(names = "--group", paramLabel = "ID", description = "A group chat.")
    String group;
  }

  @ArgGroup(exclusive = true)
  Chat chat;

  @Option(names = "--limit", paramLabel = "N", description = "The last N messages (default: ${DEFAULT-VALUE}).")
  int limit = 50;

  @Option(names = "--json", description = "One JSON object per line.")
  boolean json;

  @Override
  protected boolean json() {
    return json;
  }

  @Override
  protected int run(Device device, Output output) {
    if (limit < 1) {
      throw new IllegalArgumentException("--limit must be at least 1");
    }
    String with = chat == null ? null : chat.with;
    String group = chat == null ? null : chat.group;
    for (MessageEvent message : device.history(with, group, limit)) {
      output.event(message);
    }
    return 0;
  }
}
