package org.parley.cli.commands;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parley.cli.Durations;
import org.parley.cli.output.Output;
import org.parley.cli.output.SafeText;
import org.parley.client.appstate.AppState;
import org.parley.client.appstate.AppStateViews;
import org.parley.client.appstate.AppStateViews.ChatView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code parley chats list|archive|unarchive|pin|unpin|mute|unmute|unread} (DESIGN.md §12, §16): the
 * chat list with the marks, labels and agents the account's devices share.
 */
@Command(
    name = "chats",
    mixinStandardHelpOptions = true,
    description = "List chats with their marks, labels and agents; archive, pin, mute or mark them unread (on every own device).",
    subcommands = {
      ChatsCommand.ListChats.class,
      ChatsCommand.Archive.class,
      ChatsCommand.Unarchive.class,
      ChatsCommand.Pin.class,
      ChatsCommand.Unpin.class,
      ChatsCommand.Mute.class,
      ChatsCommand.Unmute.class,
      ChatsCommand.Unread.class
    })
public final class ChatsCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a chats command; see 'parley chats --help'");
  }

  /**
   * @param archived true: the archived chats only; else the others
   * @param label only chats with this label (name or id)
   * @param assignedTo only chats assigned to this own device (id or name)
   */
  public record ListParams(Boolean archived, String label, String assignedTo) {}

  public record Chats(List<ChatView> chats) {}

  /**
   * Changes a chat's marks; a parameter left out stays as it is.
   *
   * @param chat +E164 or a group ID
   * @param muted true mutes (for {@code muteSeconds}, or for ever without), false unmutes
   * @param markedUnread true marks the chat unread; reading it takes the mark off
   */
  public record UpdateParams(
      String chat, Boolean archived, Boolean pinned, Boolean muted, Long muteSeconds, Boolean markedUnread) {}

  /** {@code listChats}: the chats, pinned first, then the most recent first. */
  public static final Handler<ListParams, Chats> LIST_CHATS =
      Handler.of("listChats", ListParams.class, Chats.class, (device, p, caller) -> {
        var state = device.appState();
        Integer agent = p.assignedTo() == null ? null : state.ownDevice(p.assignedTo());
        return new Chats(
            state.views().chats(new AppStateViews.Filter(Boolean.TRUE.equals(p.archived()), p.label(), agent)));
      });

  /** {@code updateChat}: archives, pins, mutes or marks a chat unread, or undoes that. */
  public static final Handler<UpdateParams, Changed> UPDATE_CHAT =
      Handler.of("updateChat", UpdateParams.class, Changed.class, (device, p, caller) -> {
        String chat = Require.text(p.chat(), "chat");
        if (p.archived() == null && p.pinned() == null && p.muted() == null && p.markedUnread() == null) {
          throw new IllegalArgumentException("give one of 'archived', 'pinned', 'muted', 'markedUnread'");
        }
        if (p.muteSeconds() != null && !Boolean.TRUE.equals(p.muted())) {
          throw new IllegalArgumentException("'muteSeconds' goes with 'muted': true");
        }
        AppState state = device.appState();
        List<String> done = new ArrayList<>();
        AppState.Change last = null;
        boolean changed = false;
        if (p.archived() != null) {
          last = state.archive(chat, p.archived());
          changed |= last.changed();
          done.add(p.archived() ? "archived" : "unarchived");
        }
        if (p.pinned() != null) {
          last = state.pin(chat, p.pinned());
          changed |= last.changed();
          done.add(p.pinned() ? "pinned" : "unpinned");
        }
        if (p.muted() != null) {
          if (p.muted()) {
            Duration duration = p.muteSeconds() == null ? null : Duration.ofSeconds(p.muteSeconds());
            last = state.mute(chat, duration);
            done.add(duration == null ? "muted" : "muted for " + duration.toString().substring(2).toLowerCase());
          } else {
            last = state.unmute(chat);
            done.add("unmuted");
          }
          changed |= last.changed();
        }
        if (p.markedUnread() != null) {
          last = state.markUnread(chat, p.markedUnread());
          changed |= last.changed();
          done.add(p.markedUnread() ? "marked unread" : "unmarked unread");
        }
        return new Changed(String.join(", ", done) + " " + chat, changed, last.synced(), last.pendingReason());
      });

  /** Times in plain output, as the other commands print them (the local zone). */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  /** A chat as one record: readable in plain form, every field in JSON. */
  static void print(Output output, ChatView chat) {
    Map<String, Object> fields = new LinkedHashMap<>();
    boolean json = output.json();
    fields.put("chat", chat.chat());
    if (json) {
      fields.put("name", chat.name());
      fields.put("group", chat.group());
      fields.put("lastMessage", chat.lastMessage());
      fields.put("unread", chat.unread());
      fields.put("markedUnread", chat.markedUnread());
      fields.put("archived", chat.archived());
      fields.put("pinned", chat.pinned());
      fields.put("mutedUntil", chat.mutedUntil());
      fields.put("labels", chat.labels());
      fields.put("assignedTo", chat.assignedTo());
      fields.put("assignedToName", chat.assignedToName());
      fields.put("notes", chat.notes());
    } else {
      fields.put("name", chat.name() == null ? null : SafeText.shown(chat.name()));
      fields.put("last", chat.lastMessage() == 0 ? null : TIME.format(Instant.ofEpochMilli(chat.lastMessage())));
      fields.put("unread", chat.unread() > 0 || chat.markedUnread() ? Math.max(1, chat.unread()) : null);
      List<String> marks = new ArrayList<>();
      if (chat.pinned()) {
        marks.add("pinned");
      }
      if (chat.archived()) {
        marks.add("archived");
      }
      if (chat.mutedUntil() == -1) {
        marks.add("muted");
      } else if (chat.mutedUntil() > 0) {
        marks.add("muted until " + TIME.format(Instant.ofEpochMilli(chat.mutedUntil())));
      }
      fields.put("marks", marks.isEmpty() ? null : String.join(", ", marks));
      fields.put(
          "labels",
          chat.labels().isEmpty() ? null : String.join(", ", chat.labels().stream().map(SafeText::shown).toList()));
      fields.put(
          "assigned",
          chat.assignedTo() == 0
              ? null
              : (chat.assignedToName() == null ? "" : SafeText.shown(chat.assignedToName()) + " ")
                  + "(device " + chat.assignedTo() + ")");
      fields.put("notes", chat.notes() == 0 ? null : chat.notes());
    }
    output.record("chat", fields);
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List chats (pinned first, then the most recent), without the archived ones unless --archived.")
  static final class ListChats extends DeviceCommand<Chats> {
    @Option(names = "--archived", description = "List the archived chats instead.")
    boolean archived;

    @Option(names = "--label", paramLabel = "LABEL", description = "Only chats with this label (its name or id).")
    String label;

    @Option(names = "--assigned-to", paramLabel = "DEVICE", description = "Only chats assigned to this own device (id or name).")
    String assignedTo;

    @Override
    protected Chats run(Invoker invoker, Output output) {
      return invoker.call(LIST_CHATS, new ListParams(archived, label, assignedTo));
    }

    @Override
    protected void render(Chats result, Output output) {
      result.chats().forEach(chat -> print(output, chat));
    }
  }

  /** A chat mark command: CHAT, one change. */
  abstract static class Mark extends DeviceCommand<Changed> {
    @Parameters(index = "0", paramLabel = "CHAT", description = "+E164 for a 1:1 chat, or a group ID.")
    String chat;

    abstract UpdateParams params();

    @Override
    protected Changed run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_CHAT, params());
    }

    @Override
    protected void render(Changed result, Output output) {
      result.render(output);
    }
  }

  @Command(name = "archive", mixinStandardHelpOptions = true, description = "Archive a chat on every own device.")
  static final class Archive extends Mark {
    @Override
    UpdateParams params() {
      return new UpdateParams(chat, true, null, null, null, null);
    }
  }

  @Command(name = "unarchive", mixinStandardHelpOptions = true, description = "Take a chat out of the archive.")
  static final class Unarchive extends Mark {
    @Override
    UpdateParams params() {
      return new UpdateParams(chat, false, null, null, null, null);
    }
  }

  @Command(name = "pin", mixinStandardHelpOptions = true, description = "Pin a chat to the top of the list.")
  static final class Pin extends Mark {
    @Override
    UpdateParams params() {
      return new UpdateParams(chat, null, true, null, null, null);
    }
  }

  @Command(name = "unpin", mixinStandardHelpOptions = true, description = "Unpin a chat.")
  static final class Unpin extends Mark {
    @Override
    UpdateParams params() {
      return new UpdateParams(chat, null, false, null, null, null);
    }
  }

  @Command(name = "mute", mixinStandardHelpOptions = true, description = "Mute a chat, for a while or for ever.")
  static final class Mute extends Mark {
    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "DURATION",
        converter = Durations.class,
        description = "How long (30m, 8h, 7d); for ever if left out.")
    Duration duration;

    @Override
    UpdateParams params() {
      if (duration != null && duration.toSeconds() < 1) {
        throw new IllegalArgumentException("mute for at least a second");
      }
      return new UpdateParams(chat, null, null, true, duration == null ? null : duration.toSeconds(), null);
    }
  }

  @Command(name = "unmute", mixinStandardHelpOptions = true, description = "Unmute a chat.")
  static final class Unmute extends Mark {
    @Override
    UpdateParams params() {
      return new UpdateParams(chat, null, null, false, null, null);
    }
  }

  @Command(
      name = "unread",
      mixinStandardHelpOptions = true,
      description = "Mark a chat unread on every own device; reading it ('parley read') takes the mark off.")
  static final class Unread extends Mark {
    @Override
    UpdateParams params() {
      return new UpdateParams(chat, null, null, null, null, true);
    }
  }
}
