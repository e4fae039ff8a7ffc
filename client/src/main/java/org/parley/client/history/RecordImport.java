package org.parley.client.history;

import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.parley.client.appstate.AppStateLimits;
import org.parley.client.appstate.AppStateLog;
import org.parley.client.appstate.Mutation;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.GroupStore;
import org.parley.protocol.GroupChangeSignatures.Membership;
import org.parley.protocol.history.BundleException;
import org.parley.protocol.wire.AppStateMutation;
import org.parley.protocol.wire.HistoryContact;
import org.parley.protocol.wire.HistoryGroup;
import org.parley.protocol.wire.HistoryMessage;
import org.parley.protocol.wire.HistoryRecord;

/**
 * Applies a bundle's records to the profile, inside the import's one transaction, with statements
 * prepared once per bundle. Nothing is overwritten: a message already here keeps its content and
 * its status may only advance; a contact's known number stays.
 */
final class RecordImport implements AutoCloseable {
  /** What an import did so far. */
  static final class Counts {
    long records;
    long messages;
    long contacts;
    /** App-state entries that could not be read or were past the bound, and so were left out. */
    long appStateRefused;
    String appStateReason;
  }

  private final PreparedStatement insert;
  private final PreparedStatement advance;
  private final PreparedStatement contact;
  /** The groups' one writer: the import's copy of a group is kept as a live change to it would be. */
  private final GroupStore groups;

  private final AppStateLog.Bulk appState;

  private final Connection connection;

  /** @param groups writes in the import's transaction (its store joins the one that holds {@code c}) */
  RecordImport(Connection c, GroupStore groups) throws SQLException {
    this.connection = c;
    this.groups = groups;
    this.appState = new AppStateLog.Bulk(c);
    this.insert =
        c.prepareStatement(
            "INSERT OR IGNORE INTO messages (author_account, id, author_device, chat_account, group_id, outgoing,"
                + " body, timestamp, server_timestamp, status) VALUES (?,?,?,?,?,?,?,?,?,?)");
    this.advance =
        c.prepareStatement(
            "UPDATE messages SET status = ? WHERE author_account = ? AND id = ?"
                + " AND " + Statuses.rank("?") + " > " + Statuses.rank("status"));
    this.contact =
        c.prepareStatement(
            "INSERT INTO accounts (account_id, phone) VALUES (?, ?)"
                + " ON CONFLICT (account_id) DO UPDATE SET phone = excluded.phone WHERE accounts.phone IS NULL");
  }

  void apply(HistoryRecord record, Counts counts) throws SQLException {
    switch (record.getKindCase()) {
      case MESSAGE -> counts.messages += message(record.getMessage()) ? 1 : 0;
      case CONTACT -> counts.contacts += contact(record.getContact()) ? 1 : 0;
      case GROUP -> group(record.getGroup());
      case APP_STATE -> appState(record.getAppState(), counts);
      // Chats are derived from their messages here.
      default -> {}
    }
  }

  /** Adds the message unless it is here; if it is, only lets its status advance. True if added. */
  private boolean message(HistoryMessage m) throws SQLException {
    String status = Statuses.fromBundle(m.getStatus(), m.getOutgoing());
    insert.setString(1, m.getAuthorAccount());
    insert.setString(2, m.getId());
    insert.setInt(3, m.getAuthorDevice());
    insert.setString(4, m.getChatAccount().isEmpty() ? null : m.getChatAccount());
    insert.setString(5, m.getGroupId().isEmpty() ? null : m.getGroupId());
    insert.setInt(6, m.getOutgoing() ? 1 : 0);
    insert.setString(7, m.getBody());
    insert.setLong(8, m.getTimestamp());
    insert.setLong(9, m.getServerTimestamp());
    insert.setString(10, status);
    if (insert.executeUpdate() == 1) {
      // Pointers only: the companion fetches those the server still holds when asked (docs/PROTOCOL.md §14).
      AttachmentStore.insert(
          connection, java.util.UUID.fromString(m.getAuthorAccount()), m.getId(), m.getAttachmentsList(),
          AttachmentStore.OFFERED);
      return true;
    }
    advance.setString(1, status);
    advance.setString(2, m.getAuthorAccount());
    advance.setString(3, m.getId());
    advance.setString(4, status);
    advance.executeUpdate();
    return false;
  }

  /**
   * Merges an app-state entry as if it had arrived live: whichever of it and what is here already
   * wins stays. No event: the bundle's {@code imported} event stands for all of it.
   */
  private void appState(AppStateMutation entry, Counts counts) throws SQLException {
    try {
      Mutation mutation = Mutation.of(entry);
      if (appState.size() >= AppStateLimits.MAX_ENTRIES + AppStateLimits.REMOTE_SLACK
          && appState.get(mutation.key().toString()).isEmpty()) {
        throw new IllegalArgumentException("this device keeps at most " + AppStateLimits.MAX_ENTRIES + " entries");
      }
      appState.merge(mutation, false);
    } catch (IllegalArgumentException e) {
      counts.appStateRefused++;
      if (counts.appStateReason == null) {
        counts.appStateReason = e.getMessage();
      }
    }
  }

  /**
   * The primary's copy of a group, kept as a verified membership: a group this device learned live
   * at a newer version is left as it is, members it knew keep the version they joined at. The
   * members' numbers come with the bundle's contacts.
   */
  private void group(HistoryGroup g) {
    List<UUID> members = accounts(g, g.getMemberAccountsList()).stream().distinct().toList();
    Set<UUID> admins = Set.copyOf(accounts(g, g.getAdminAccountsList()));
    groups.store(new Membership(g.getGroupId(), g.getVersion(), g.getName(), members, admins), true, Map.of());
  }

  private static List<UUID> accounts(HistoryGroup g, List<String> ids) {
    try {
      return ids.stream().map(UUID::fromString).toList();
    } catch (IllegalArgumentException e) {
      throw new UncheckedIOException(
          new BundleException("group " + g.getGroupId() + " in the bundle names a member that is no account id", e));
    }
  }

  private boolean contact(HistoryContact c) throws SQLException {
    contact.setString(1, c.getAccountId());
    contact.setString(2, c.getPhone());
    return contact.executeUpdate() == 1;
  }

  @Override
  public void close() throws SQLException {
    try (insert;
        advance;
        contact;
        appState) {
      // closed in reverse order by the try
    }
  }
}
