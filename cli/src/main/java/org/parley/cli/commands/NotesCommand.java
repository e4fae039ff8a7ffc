package org.parley.cli.commands;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.cli.output.SafeText;
import org.parley.client.appstate.AppStateViews.NoteView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code parley notes add|list} (DESIGN.md §16): internal notes on a chat, seen by the account's own
 * devices only, never by the contact.
 */
@Command(
    name = "notes",
    mixinStandardHelpOptions = true,
    description = "Internal notes on a chat: seen on the account's own devices only, never by the contact.",
    subcommands = {NotesCommand.Add.class, NotesCommand.ListNotes.class})
public final class NotesCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a notes command; see 'parley notes --help'");
  }

  public record AddParams(String chat, String text) {}

  public record ChatParams(String chat) {}

  public record Notes(List<NoteView> notes) {}

  public static final Handler<AddParams, NoteView> ADD_NOTE =
      Handler.of("addNote", AddParams.class, NoteView.class,
          (device, p, caller) -> device.appState().addNote(Require.text(p.chat(), "chat"), p.text()));

  /** {@code listNotes}: a chat's notes, oldest first. */
  public static final Handler<ChatParams, Notes> LIST_NOTES =
      Handler.of("listNotes", ChatParams.class, Notes.class,
          (device, p, caller) -> new Notes(device.appState().notes(Require.text(p.chat(), "chat"))));

  private static final java.time.format.DateTimeFormatter TIME =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(java.time.ZoneId.systemDefault());

  static void print(Output output, NoteView note) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("id", note.id());
    fields.put("chat", note.chat());
    if (output.json()) {
      fields.put("byDevice", note.byDevice());
      fields.put("byDeviceName", note.byDeviceName());
      fields.put("timestamp", note.timestamp());
      fields.put("text", note.text());
      output.record("note", fields);
    } else {
      output.note(
          TIME.format(Instant.ofEpochMilli(note.timestamp())) + "  "
              + (note.byDeviceName() == null ? "" : SafeText.shown(note.byDeviceName()) + " ")
              + "(device " + note.byDevice() + "): " + SafeText.text(note.text()));
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an internal note to a chat (at most 4096 bytes).")
  static final class Add extends DeviceCommand<NoteView> {
    @Parameters(index = "0", paramLabel = "CHAT", description = "+E164 for a 1:1 chat, or a group ID.")
    String chat;

    @Parameters(index = "1", paramLabel = "TEXT", description = "The note.")
    String text;

    @Override
    protected NoteView run(Invoker invoker, Output output) {
      return invoker.call(ADD_NOTE, new AddParams(chat, text));
    }

    @Override
    protected void render(NoteView result, Output output) {
      print(output, result);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List a chat's notes, oldest first.")
  static final class ListNotes extends DeviceCommand<Notes> {
    @Parameters(paramLabel = "CHAT", description = "+E164 for a 1:1 chat, or a group ID.")
    String chat;

    @Override
    protected Notes run(Invoker invoker, Output output) {
      return invoker.call(LIST_NOTES, new ChatParams(chat));
    }

    @Override
    protected void render(Notes result, Output output) {
      result.notes().forEach(note -> print(output, note));
    }
  }
}
