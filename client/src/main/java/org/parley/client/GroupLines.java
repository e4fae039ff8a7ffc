package org.parley.client;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.parley.client.events.MessageEvent;
import org.parley.client.store.Contacts;
import org.parley.client.store.MessageHistory;
import org.parley.protocol.GroupChangeSignatures.Membership;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.MembershipChange;

/**
 * Writes each group change this device has verified (signed by an admin's vouched device, checked
 * against its copy, docs/PROTOCOL.md §10) as a line in the group's chat: "+1555… added +1555…",
 * "you renamed the group to …". The line is a {@code system} entry of the message history (through
 * {@link MessageHistory}, the table's owner) named {@code group-}{@code <group>-<version>}, so a
 * change checked again (a notice after a catch-up) adds nothing. A change that fails its checks
 * never gets here: the roster calls this only after keeping a change.
 */
public final class GroupLines {
  private static final String SYSTEM = "system";

  private final MessageHistory history;
  private final Contacts contacts;
  private final UUID ownAccount;
  private final Clock clock;

  public GroupLines(MessageHistory history, Contacts contacts, UUID ownAccount, Clock clock) {
    this.history = history;
    this.contacts = contacts;
    this.ownAccount = ownAccount;
    this.clock = clock;
  }

  /**
   * A verified change, kept.
   *
   * @param before this device's copy before it, if it had one
   * @param phones numbers the server gave with the group, for members this device has no number for yet
   */
  public void verified(Optional<Membership> before, MembershipChange change, Map<UUID, String> phones) {
    UUID signer = UUID.fromString(change.getSignerAccount());
    String body = describe(before, change, phones);
    // The signer's clock dates the change among the messages, but never later than now: a change
    // dated ahead must not stay below everything said after it.
    long at = Math.min(change.getIssuedAt(), clock.millis());
    history.add(
        new MessageHistory.Entry(
            ownAccount, id(change.getGroupId(), change.getVersion()),
            signer.equals(ownAccount) ? change.getSignerDevice() : 0, null, change.getGroupId(), true, body, at, 0,
            SYSTEM));
  }

  static String id(String groupId, long version) {
    return MessageEvent.GROUP_LINE + groupId + "-" + version;
  }

  private String describe(Optional<Membership> before, MembershipChange change, Map<UUID, String> phones) {
    UUID signerAccount = UUID.fromString(change.getSignerAccount());
    String by = who(signerAccount, phones);
    if (change.getVersion() == 1 || before.isEmpty()) {
      // Created, or the first change this device could believe (it joined later): the group as it stands.
      if (change.getVersion() == 1) {
        return capitalised(by + " created the group " + quoted(change.getName()));
      }
      return change.getAddedList().contains(ownAccount.toString())
          ? capitalised(by + " added you")
          : "You are in the group " + quoted(change.getName());
    }
    Membership was = before.get();
    Membership now = Membership.of(change);
    List<String> parts = new ArrayList<>();
    if (!was.name().equals(now.name())) {
      parts.add("renamed the group to " + quoted(now.name()));
    }
    List<String> added = names(change.getAddedList(), phones);
    if (!added.isEmpty()) {
      parts.add("added " + String.join(", ", added));
    }
    if (change.getRemovedList().equals(List.of(change.getSignerAccount()))) {
      parts.add("left");
    } else {
      List<String> removed = names(change.getRemovedList(), phones);
      if (!removed.isEmpty()) {
        parts.add("removed " + String.join(", ", removed));
      }
    }
    List<String> promoted = new ArrayList<>();
    List<String> demoted = new ArrayList<>();
    for (UUID member : now.members()) {
      if (now.isAdmin(member) && !was.isAdmin(member)) {
        promoted.add(who(member, phones));
      } else if (!now.isAdmin(member) && was.isAdmin(member) && was.isMember(member)) {
        demoted.add(who(member, phones));
      }
    }
    if (!promoted.isEmpty()) {
      parts.add("made " + String.join(", ", promoted) + (promoted.size() == 1 ? " an admin" : " admins"));
    }
    if (!demoted.isEmpty()) {
      parts.add("took the admin role from " + String.join(", ", demoted));
    }
    if (parts.isEmpty()) {
      parts.add("changed the group");
    }
    return capitalised(by + " " + String.join("; ", parts));
  }

  private static String capitalised(String line) {
    return Character.toUpperCase(line.charAt(0)) + line.substring(1);
  }

  private List<String> names(List<String> accounts, Map<UUID, String> phones) {
    return accounts.stream().map(a -> who(UUID.fromString(a), phones)).toList();
  }

  private String who(UUID account, Map<UUID, String> phones) {
    if (account.equals(ownAccount)) {
      return "you";
    }
    // The line is kept for good and the signed change names only accounts: the number this device
    // already holds comes first; the server's unchecked hint only if it is a bare E.164 number
    // (no name, no second line smuggled into the chat).
    String phone = contacts.phoneOf(account);
    if (phone == null && PhoneNumbers.isValid(phones.get(account))) {
      phone = phones.get(account);
    }
    return phone != null ? phone : "someone not yet known";
  }

  private static String quoted(String name) {
    return "\u201C" + name + "\u201D";
  }
}
