package org.parley.cli.output;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.stream.Collectors;
import org.parley.client.events.AssignedEvent;
import org.parley.client.events.ChatStateEvent;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.ContactNameEvent;
import org.parley.client.events.LabelEvent;
import org.parley.client.events.LabelledEvent;
import org.parley.client.events.NoteEvent;
import org.parley.client.events.GroupEvent;
import org.parley.client.events.GroupWarningEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.IdentityChangedEvent;
import org.parley.client.events.LoggedEvent;
import org.parley.client.events.AttachmentEvent;
import org.parley.client.events.AttachmentView;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReadEvent;
import org.parley.client.events.ReceiptEvent;
import org.parley.client.events.UnlinkedEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.client.events.WaitingEvent;
import org.parley.client.events.WarningEvent;

/** Lines for people: one per message or event, times in the local zone. */
public final class PlainOutput implements Output {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  private final PrintStream out;
  private final PrintStream err;

  public PlainOutput(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public boolean json() {
    return false;
  }

  @Override
  public void event(LoggedEvent event) {
    event(event.event());
  }

  @Override
  public synchronized void event(ClientEvent event) {
    switch (event) {
      case MessageEvent m -> {
        String where = m.group() != null ? " in group " + m.group() : "";
        if (MessageEvent.SYSTEM.equals(m.type())) {
          out.printf("%s  — %s%s%n", time(m.timestamp()), body(m.body()), where);
        } else if (m.outgoing()) {
          out.printf("%s  me (device %d) → %s%s: %s%n", time(m.timestamp()), m.fromDevice(),
              m.to() != null ? named(m.name(), m.to()) : "group", where, body(m.body()));
        } else {
          out.printf("%s  %s (device %d)%s: %s%n", time(m.timestamp()), named(m.name(), m.from()), m.fromDevice(),
              where, body(m.body()));
        }
        for (AttachmentView a : m.attachments()) {
          // The id and the type come from the sender's pointer, like the name: never raw to the terminal.
          String id = SafeText.shown(a.id());
          out.printf("    attachment %s: %s (%s, %d bytes)%s%n", id, shortName(a.fileName()),
              SafeText.shown(a.contentType()), a.size(), a.path() != null ? " at " + a.path()
                  : ", not fetched yet ('parley attachment get " + (id.startsWith("-") ? "-- " : "") + id + "')");
        }
      }
      case AttachmentEvent a -> {
        if (a.path() != null) {
          out.printf("attachment %s (%s) of message %s from %s: stored at %s%n", SafeText.shown(a.id()),
              shortName(a.fileName()), SafeText.shown(a.message()), a.from(), a.path());
        } else {
          err.printf("warning: attachment %s (%s) of message %s from %s was not stored: %s%n", SafeText.shown(a.id()),
              shortName(a.fileName()), SafeText.shown(a.message()), a.from(), SafeText.shown(a.error()));
        }
      }
      case ContactNameEvent c ->
          out.printf("%s  %s%n", time(c.timestamp()),
              c.name() == null
                  ? "the name of " + c.phone() + " was removed from the address book on device " + c.byDevice()
                  : c.phone() + " is now named " + SafeText.shown(c.name()) + " (device " + c.byDevice() + ")");
      case ChatStateEvent c ->
          out.printf("%s  chat %s %s%s on device %d%n", time(c.timestamp()), named(c.name(), c.chat()),
              c.change().replace('-', ' '), c.mutedUntil() == -1 ? " for ever" : c.mutedUntil() > 0
                  ? " until " + time(c.mutedUntil()) : "", c.byDevice());
      case LabelEvent l ->
          out.printf("%s  label %s (%s) %s on device %d%n", time(l.timestamp()), SafeText.shown(l.name()), l.colour(),
              l.change(), l.byDevice());
      case LabelledEvent l ->
          out.printf("%s  label %s %s %s%s on device %d%n", time(l.timestamp()),
              SafeText.shown(l.labelName() == null ? l.label() : l.labelName()), l.added() ? "put on" : "taken off",
              l.messageId() == null ? "chat " : "message " + l.messageId() + " of chat ", named(l.name(), l.chat()),
              l.byDevice());
      case AssignedEvent a ->
          out.printf("%s  chat %s %s by device %d%n", time(a.timestamp()), named(a.name(), a.chat()),
              a.deviceId() == 0
                  ? "unassigned"
                  : "assigned to " + (a.deviceName() == null ? "" : SafeText.shown(a.deviceName()) + " ")
                      + "(device " + a.deviceId() + ")",
              a.byDevice());
      case NoteEvent n ->
          out.printf("%s  note on chat %s by device %d: %s%n", time(n.timestamp()), named(n.name(), n.chat()),
              n.byDevice(), SafeText.text(n.text()));
      case ReceiptEvent r ->
          out.printf("%s receipt from %s (device %d) for %d message(s)%n", r.kind(), named(r.name(), r.from()),
              r.fromDevice(), r.messageIds().size());
      case ReadEvent r ->
          out.printf("read on device %d: chat %s up to %s%n", r.byDevice(),
              r.chat() != null ? named(r.name(), r.chat()) : r.group(), time(r.upToTimestamp()));
      case UnlinkedEvent u -> err.println("unlinked: " + u.message());
      case WarningEvent w -> err.println("warning: " + w.message());
      case UntrustedEvent u ->
          err.printf("untrusted: a message claiming to be from %s (device %d) was quarantined: %s%n", u.from(),
              u.fromDevice(), u.message());
      case IdentityChangedEvent i ->
          out.printf("%s  the safety number with %s changed (was %s, now %s)%s%n", time(i.timestamp()), i.phone(),
              i.oldSafetyNumber(), i.newSafetyNumber(),
              i.held()
                  ? "; held: nothing is sent or shown until you run 'parley trust " + i.phone() + "'"
                  : "; compare it in person with 'parley safety-number " + i.phone() + "'");
      case GroupWarningEvent w -> err.println("warning: " + w.message());
      case WaitingEvent w ->
          out.printf("%s  %s (device %d)%s: %s%n", time(w.timestamp()), w.from(), w.fromDevice(),
              w.group() == null ? "" : " in group " + w.group(), w.message());
      case GroupEvent g ->
          out.printf("group %s (%s): %s by %s%s%s%n", SafeText.shown(g.name()), g.group(), g.kind(), g.by(),
              g.added().isEmpty() ? "" : "; added " + String.join(", ", g.added()),
              g.removed().isEmpty() ? "" : "; removed " + String.join(", ", g.removed()));
      case HistorySyncEvent h -> {
        if (!h.progress()) {
          out.printf("history part %d imported: %d records%n", h.part() + 1, h.records());
        }
      }
    }
    out.flush();
  }

  @Override
  public synchronized void record(String type, Map<String, Object> fields) {
    out.println(
        fields.entrySet().stream()
            .filter(e -> e.getValue() != null)
            .map(e -> e.getKey() + ": " + e.getValue())
            .collect(Collectors.joining("  ")));
    out.flush();
  }

  @Override
  public synchronized void note(String text) {
    out.println(text);
    out.flush();
  }

  /** A sender's file name on one line, at most 80 characters of it: it may be anything. */
  static String shortName(String fileName) {
    String shown = SafeText.shown(fileName == null || fileName.isEmpty() ? "(no name)" : fileName);
    return shown.length() > 80 ? shown.substring(0, 77) + "..." : shown;
  }

  /** A message's text as a contact wrote it, without what would steer the terminal; line breaks kept. */
  static String body(String text) {
    return text == null ? "" : SafeText.text(text);
  }

  /** A name from the address book (shown safely) instead of the number, when there is one. */
  static String named(String name, String number) {
    return name == null ? number : SafeText.shown(name);
  }

  static String time(long epochMillis) {
    return epochMillis <= 0 ? "-" : TIME.format(Instant.ofEpochMilli(epochMillis));
  }
}
