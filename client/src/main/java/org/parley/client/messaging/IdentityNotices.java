package org.parley.client.messaging;

import java.util.UUID;
import org.parley.client.events.IdentityChangedEvent;
import org.parley.client.store.Contacts;

/** Words the user is told when a contact's primary identity changed: old and new safety numbers. */
public final class IdentityNotices {
  private final Contacts contacts;
  private final UUID ownAccount;

  public IdentityNotices(Contacts contacts, UUID ownAccount) {
    this.contacts = contacts;
    this.ownAccount = ownAccount;
  }

  /** The notice owed for an account whose identity changed ({@code changedFrom} set). */
  public IdentityChangedEvent changed(Contacts.Known contact) {
    byte[] mine = contacts.byAccount(ownAccount).map(Contacts.Known::primaryIdentity).orElseThrow();
    byte[] now = contact.held() ? contact.pendingIdentity() : contact.primaryIdentity();
    return new IdentityChangedEvent(
        contact.phone(),
        SafetyNumbers.of(ownAccount, mine, contact.account(), contact.changedFrom()),
        SafetyNumbers.of(ownAccount, mine, contact.account(), now),
        contact.held(),
        contact.changedAt());
  }
}
