package org.parley.cli.commands;

import java.util.List;
import org.parley.cli.output.Output;
import org.parley.client.events.MessageEvent;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    description = "Print the messages of a chat (or of all chats), oldest first, from this device's store.")
public final class HistoryCommand extends DeviceCommand<HistoryCommand.Messages> {
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

  /**
   * @param recipient the 1:1 chat, or {@code groupId} a group chat, or neither: every chat
   * @param before only messages sent at or before this time (epoch ms): the page before one already shown
   */
  public record Params(String recipient, String groupId, Integer limit, Long before) {}

  public record Messages(List<MessageEvent> messages) {}

  /** {@code history}: a chat's last messages (or every chat's), oldest first. */
  public static final Handler<Params, Messages> HISTORY =
      Handler.of("history", Params.class, Messages.class, (device, p, caller) -> {
        int limit = p.limit() == null ? 50 : p.limit();
        if (limit < 1 || limit > 100_000) {
          throw new IllegalArgumentException("limit must be between 1 and 100000");
        }
        if (p.recipient() != null && p.groupId() != null) {
          throw new IllegalArgumentException("give 'recipient' or 'groupId', not both");
        }
        long upTo = p.before() == null ? Long.MAX_VALUE : p.before();
        return new Messages(device.history(p.recipient(), p.groupId(), limit, upTo));
      });

  @Override
  protected Messages run(Invoker invoker, Output output) {
    if (limit < 1) {
      throw new IllegalArgumentException("--limit must be at least 1");
    }
    return invoker.call(
        HISTORY, new Params(chat == null ? null : chat.with, chat == null ? null : chat.group, limit, null));
  }

  @Override
  protected void render(Messages result, Output output) {
    result.messages().forEach(output::event);
  }
}
