package org.parley.client.appstate;

import java.util.UUID;
import org.parley.client.events.AssignedEvent;
import org.parley.client.events.ChatStateEvent;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.ContactNameEvent;
import org.parley.client.events.LabelEvent;
import org.parley.client.events.LabelledEvent;
import org.parley.client.events.NoteEvent;
import org.parley.client.store.MessageHistory;
import org.parley.protocol.wire.AppStateValue;

/**
 * Applies one checked mutation to the log, whether made here or on another own device, inside the
 * caller's transaction, and says what changed as an event. A mutation that loses to the stored entry
 * (or is one already applied) changes nothing and tells nothing. An assignment that wins also writes
 * a line into the chat's history, on every device that applies it.
 */
public final class Applier {
  /** The status of a line the device writes itself into a chat's history. */
  public static final String SYSTEM = "system";

  private final AppStateLog log;
  private final Names names;
  private final MessageHistory history;
  private final UUID ownAccount;

  public Applier(AppStateLog log, Names names, MessageHistory history, UUID ownAccount) {
    this.log = log;
    this.names = names;
    this.history = history;
    this.ownAccount = ownAccount;
  }

  /**
   * @param pending a change made on this device, not sent yet
   * @return the event to log and show, or {@code null} when nothing changed
   */
  public ClientEvent apply(Mutation m, boolean pending) {
    AppStateKey key = m.key();
    // Read before the merge: a deleted label's event still names it.
    String labelName = key.label() != null ? names.ofLabel(key.label()) : null;
    AppStateLog.Merged merged = log.merge(m, pending);
    if (!merged.applied()) {
      return null;
    }
    AppStateValue before = merged.previous() == null ? null : merged.previous().value();
    AppStateValue after = m.value();
    if (before == null && after == null) {
      return null;
    }
    if (before != null && before.equals(after)) {
      return null;
    }
    return switch (key.kind()) {
      case CONTACT -> new ContactNameEvent(key.phone(), after == null ? null : after.getName(), m.deviceId(), m.timestamp());
      case ARCHIVE -> chatState(m, after != null ? "archived" : "unarchived", 0);
      case PIN -> chatState(m, after != null ? "pinned" : "unpinned", 0);
      case UNREAD -> chatState(m, after != null ? "marked-unread" : "unmarked-unread", 0);
      case MUTE -> chatState(m, after != null ? "muted" : "unmuted", after != null ? after.getMutedUntil() : 0);
      case LABEL -> {
        AppStateValue shown = after != null ? after : before;
        yield new LabelEvent(
            key.label(), shown.getLabel().getName(), shown.getLabel().getColour(),
            after == null ? "deleted" : before == null ? "created" : "changed", m.deviceId(), m.timestamp());
      }
      case CHAT_LABEL, MESSAGE_LABEL ->
          new LabelledEvent(
              key.label(), labelName, names.chatId(key.chat()), names.ofChat(key.chat()), key.messageId(),
              after != null, m.deviceId(), m.timestamp());
      case ASSIGN -> assigned(m, after == null ? 0 : after.getDeviceId());
      case NOTE ->
          after == null
              ? null
              : new NoteEvent(
                  names.chatId(key.chat()), names.ofChat(key.chat()), key.note(), after.getNote().getText(),
                  m.deviceId(), m.timestamp());
    };
  }

  private ChatStateEvent chatState(Mutation m, String change, long mutedUntil) {
    ChatRef chat = m.key().chat();
    return new ChatStateEvent(names.chatId(chat), names.ofChat(chat), change, mutedUntil, m.deviceId(), m.timestamp());
  }

  private AssignedEvent assigned(Mutation m, int agent) {
    ChatRef chat = m.key().chat();
    String body =
        (agent == 0 ? "chat unassigned" : "chat assigned to " + names.device(agent)) + " by "
            + names.device(m.deviceId());
    // One line per winning assignment, named by it: applying it again (a redelivery) adds nothing.
    history.add(
        new MessageHistory.Entry(
            ownAccount, "assign-" + m.version() + "-" + m.deviceId(), m.deviceId(), chat.account(), chat.group(),
            true, body, m.timestamp(), 0, SYSTEM));
    return new AssignedEvent(
        names.chatId(chat), names.ofChat(chat), agent, agent == 0 ? null : names.ofDevice(agent), m.deviceId(),
        m.timestamp());
  }
}
