package org.parley.client.appstate;

import java.util.List;
import org.parley.client.events.ClientEvent;
import org.parley.client.store.Contacts;
import org.parley.protocol.PhoneNumbers;
import org.parley.client.events.WarningEvent;
import org.parley.protocol.wire.AppStateMutation;
import org.parley.protocol.wire.AppStateSync;

/**
 * The receiving half of app state, called inside the receiver's transaction for a sync message
 * that the sender check has already attributed to one of the account's own vouched devices
 * (DESIGN.md §3): each mutation is checked, then merged. A device speaks only for itself, so a
 * mutation naming another device than the envelope's sender is refused, as is anything malformed or
 * past a bound; each refusal is a warning, never a silent drop.
 */
public final class AppStateInbox {
  private final AppStateLog log;
  private final Applier applier;
  private final Contacts contacts;

  public AppStateInbox(AppStateLog log, Applier applier, Contacts contacts) {
    this.log = log;
    this.applier = applier;
    this.contacts = contacts;
  }

  /** A chat with a contact this device has not met yet is shown by the number its own device gave. */
  private void notePhone(Mutation mutation, String phone) {
    ChatRef chat = mutation.key().chat();
    if (chat != null && !chat.isGroup() && PhoneNumbers.isValid(phone) && contacts.phoneOf(chat.account()) == null) {
      contacts.notePhone(chat.account(), phone);
    }
  }

  public void received(int senderDevice, AppStateSync sync, List<ClientEvent> events) {
    int refused = 0;
    String reason = null;
    for (AppStateMutation proto : sync.getMutationsList()) {
      try {
        if (proto.getDeviceId() != senderDevice) {
          throw new IllegalArgumentException(
              "device " + senderDevice + " sent a change in the name of device " + proto.getDeviceId());
        }
        Mutation mutation = Mutation.of(proto);
        notePhone(mutation, proto.getChatPhone());
        if (log.get(mutation.key()).isEmpty()
            && log.size() >= AppStateLimits.MAX_ENTRIES + AppStateLimits.REMOTE_SLACK) {
          throw new IllegalArgumentException(
              "this device already keeps " + log.size() + " app-state entries, its most");
        }
        ClientEvent event = applier.apply(mutation, false);
        if (event != null) {
          events.add(event);
        }
      } catch (IllegalArgumentException e) {
        refused++;
        if (reason == null) {
          reason = e.getMessage();
        }
      }
    }
    if (refused > 0) {
      events.add(
          new WarningEvent(
              "app-state-refused",
              refused + " app-state change(s) from own device " + senderDevice + " were refused: " + reason));
    }
  }
}
