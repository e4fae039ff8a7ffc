package org.parley.client.appstate;

import java.util.UUID;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReadEvent;
import org.parley.client.events.ReceiptEvent;
import org.parley.client.store.Contacts;
import org.parley.client.store.GroupStore;
import org.parley.protocol.wire.AppStateValue;

/**
 * What people call things on this account: contacts by the names in the account's own address book
 * (app state), groups by their names, own devices by the names they were linked with, labels by
 * theirs. Every lookup answers {@code null} when there is no name, and callers then show the number.
 */
public final class Names {
  private final AppStateLog log;
  private final Contacts contacts;
  private final GroupStore groups;
  private final UUID ownAccount;

  public Names(AppStateLog log, Contacts contacts, GroupStore groups, UUID ownAccount) {
    this.log = log;
    this.contacts = contacts;
    this.groups = groups;
    this.ownAccount = ownAccount;
  }

  /**
   * The event with the address book's name of the other party, if it names one who has a name: the
   * other party of a message, the sender of a receipt, the chat of a read mark.
   */
  public ClientEvent named(ClientEvent event) {
    return switch (event) {
      case MessageEvent m when m.name() == null -> m.withName(ofPhone(m.counterpart()));
      case ReceiptEvent r when r.name() == null -> r.withName(ofPhone(r.from()));
      case ReadEvent r when r.name() == null -> r.withName(ofPhone(r.chat()));
      default -> event;
    };
  }

  /** The address book's name for a number. */
  public String ofPhone(String phone) {
    if (phone == null) {
      return null;
    }
    return log.get(AppStateKey.contact(phone)).map(AppStateLog.Entry::value).map(AppStateValue::getName).orElse(null);
  }

  public String ofAccount(UUID account) {
    return account == null ? null : ofPhone(contacts.phoneOf(account));
  }

  /** How a chat is written where a number or group ID is expected: {@code +E164} or the group ID. */
  public String chatId(ChatRef chat) {
    if (chat.isGroup()) {
      return chat.group();
    }
    String phone = contacts.phoneOf(chat.account());
    return phone != null ? phone : chat.account().toString();
  }

  /** The contact's name for a 1:1 chat, the group's name for a group, or {@code null}. */
  public String ofChat(ChatRef chat) {
    if (chat.isGroup()) {
      return groups.get(chat.group()).map(GroupStore.LocalGroup::name).orElse(null);
    }
    return ofAccount(chat.account());
  }

  /** An own device's name as the primary's signed list gives it. */
  public String ofDevice(int deviceId) {
    return contacts.devices(ownAccount).stream()
        .filter(d -> d.deviceId() == deviceId)
        .map(Contacts.KnownDevice::name)
        .filter(n -> n != null && !n.isBlank())
        .findFirst()
        .orElse(null);
  }

  /** "laptop (device 3)", or "device 3" for a device this one knows no name of. */
  public String device(int deviceId) {
    String name = ofDevice(deviceId);
    return name == null ? "device " + deviceId : name + " (device " + deviceId + ")";
  }

  public String ofLabel(String label) {
    return log.get(AppStateKey.label(label))
        .map(AppStateLog.Entry::value)
        .map(v -> v.getLabel().getName())
        .orElse(null);
  }
}
