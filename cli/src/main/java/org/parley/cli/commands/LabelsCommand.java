package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.cli.output.SafeText;
import org.parley.client.appstate.AppStateViews.LabelView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code parley labels create|rename|colour|delete|list|add|remove} (DESIGN.md §16): the account's
 * labels ("new order", "waiting for payment"), on chats and on single messages, the same on every own
 * device.
 */
@Command(
    name = "labels",
    mixinStandardHelpOptions = true,
    description = "Create, rename, colour, delete and list labels; put them on chats or messages (on every own device).",
    subcommands = {
      LabelsCommand.Create.class,
      LabelsCommand.Rename.class,
      LabelsCommand.Colour.class,
      LabelsCommand.Delete.class,
      LabelsCommand.ListLabels.class,
      LabelsCommand.Add.class,
      LabelsCommand.Remove.class
    })
public final class LabelsCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a labels command; see 'parley labels --help'");
  }

  /** @param colour #rrggbb or a colour's name (red, orange, yellow, green, teal, blue, purple, pink, grey) */
  public record CreateParams(String name, String colour) {}

  /** @param label the label's name or id; {@code name} and/or {@code colour}: what it becomes */
  public record UpdateParams(String label, String name, String colour) {}

  public record LabelParams(String label) {}

  /** @param messageId a single message of the chat, or {@code null} for the chat itself */
  public record LabelChatParams(String label, String chat, String messageId) {}

  public record Labels(List<LabelView> labels) {}

  public static final Handler<Handler.None, Labels> LIST_LABELS =
      Handler.of("listLabels", Handler.None.class, Labels.class,
          (device, p, caller) -> new Labels(device.appState().views().labels()));

  public static final Handler<CreateParams, LabelView> CREATE_LABEL =
      Handler.of("createLabel", CreateParams.class, LabelView.class,
          (device, p, caller) -> device.appState().createLabel(Require.text(p.name(), "name"), p.colour()));

  public static final Handler<UpdateParams, LabelView> UPDATE_LABEL =
      Handler.of("updateLabel", UpdateParams.class, LabelView.class,
          (device, p, caller) -> device.appState().updateLabel(Require.text(p.label(), "label"), p.name(), p.colour()));

  public static final Handler<LabelParams, Changed> DELETE_LABEL =
      Handler.of("deleteLabel", LabelParams.class, Changed.class, (device, p, caller) -> {
        String label = Require.text(p.label(), "label");
        return Changed.of("deleted label '" + label + "'", device.appState().deleteLabel(label));
      });

  public static final Handler<LabelChatParams, Changed> ADD_LABEL =
      Handler.of("addLabel", LabelChatParams.class, Changed.class, (device, p, caller) -> labelChat(device, p, true));

  public static final Handler<LabelChatParams, Changed> REMOVE_LABEL =
      Handler.of("removeLabel", LabelChatParams.class, Changed.class, (device, p, caller) -> labelChat(device, p, false));

  private static Changed labelChat(org.parley.client.Device device, LabelChatParams p, boolean on) {
    String label = Require.text(p.label(), "label");
    String chat = Require.text(p.chat(), "chat");
    String where = p.messageId() == null ? chat : "message " + p.messageId() + " of " + chat;
    return Changed.of(
        (on ? "put label '" + label + "' on " : "took label '" + label + "' off ") + where,
        device.appState().label(label, chat, p.messageId(), on));
  }

  static void print(Output output, LabelView label) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("id", label.id());
    fields.put("name", output.json() ? label.name() : SafeText.shown(label.name()));
    fields.put("colour", label.colour());
    fields.put("chats", label.chats());
    fields.put("messages", label.messages());
    output.record("label", fields);
  }

  abstract static class LabelCommand extends DeviceCommand<LabelView> {
    @Override
    protected void render(LabelView result, Output output) {
      print(output, result);
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a label (at most 100 per account).")
  static final class Create extends LabelCommand {
    @Parameters(paramLabel = "NAME", description = "The label's name (at most 50 characters).")
    String name;

    @Option(names = "--colour", paramLabel = "COLOUR", description = "#rrggbb or red, orange, yellow, green, teal, blue, purple, pink, grey (default: the next of those).")
    String colour;

    @Override
    protected LabelView run(Invoker invoker, Output output) {
      return invoker.call(CREATE_LABEL, new CreateParams(name, colour));
    }
  }

  @Command(name = "rename", mixinStandardHelpOptions = true, description = "Rename a label; it stays on its chats.")
  static final class Rename extends LabelCommand {
    @Parameters(index = "0", paramLabel = "LABEL", description = "The label's name or id.")
    String label;

    @Parameters(index = "1", paramLabel = "NEW_NAME", description = "Its new name.")
    String name;

    @Override
    protected LabelView run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_LABEL, new UpdateParams(label, name, null));
    }
  }

  @Command(name = "colour", aliases = "color", mixinStandardHelpOptions = true, description = "Give a label another colour.")
  static final class Colour extends LabelCommand {
    @Parameters(index = "0", paramLabel = "LABEL", description = "The label's name or id.")
    String label;

    @Parameters(index = "1", paramLabel = "COLOUR", description = "#rrggbb or red, orange, yellow, green, teal, blue, purple, pink, grey.")
    String colour;

    @Override
    protected LabelView run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_LABEL, new UpdateParams(label, null, colour));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a label and take it off every chat and message.")
  static final class Delete extends DeviceCommand<Changed> {
    @Parameters(paramLabel = "LABEL", description = "The label's name or id.")
    String label;

    @Override
    protected Changed run(Invoker invoker, Output output) {
      return invoker.call(DELETE_LABEL, new LabelParams(label));
    }

    @Override
    protected void render(Changed result, Output output) {
      result.render(output);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the labels: name, colour, how many chats and messages carry each.")
  static final class ListLabels extends DeviceCommand<Labels> {
    @Override
    protected Labels run(Invoker invoker, Output output) {
      return invoker.call(LIST_LABELS, new Handler.None());
    }

    @Override
    protected void render(Labels result, Output output) {
      result.labels().forEach(label -> print(output, label));
    }
  }

  abstract static class OnChat extends DeviceCommand<Changed> {
    @Parameters(index = "0", paramLabel = "LABEL", description = "The label's name or id.")
    String label;

    @Parameters(index = "1", paramLabel = "CHAT", description = "+E164 for a 1:1 chat, or a group ID.")
    String chat;

    @Option(names = "--message", paramLabel = "ID", description = "One message of the chat instead of the chat (its id, as 'history --json' shows).")
    String message;

    @Override
    protected void render(Changed result, Output output) {
      result.render(output);
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Put a label on a chat, or on one of its messages.")
  static final class Add extends OnChat {
    @Override
    protected Changed run(Invoker invoker, Output output) {
      return invoker.call(ADD_LABEL, new LabelChatParams(label, chat, message));
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Take a label off a chat, or off one of its messages.")
  static final class Remove extends OnChat {
    @Override
    protected Changed run(Invoker invoker, Output output) {
      return invoker.call(REMOVE_LABEL, new LabelChatParams(label, chat, message));
    }
  }
}
