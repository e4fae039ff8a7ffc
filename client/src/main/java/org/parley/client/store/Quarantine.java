package org.parley.client.store;

import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.protocol.wire.Envelope;

/**
 * Envelopes whose sender could not be believed (table {@code quarantine}, DESIGN.md §3): kept so
 * nothing is lost, never shown. Bounded: past {@link #MAX_KEPT} the oldest go, so a server that
 * floods forgeries cannot fill the disk.
 */
public final class Quarantine {
  public static final int MAX_KEPT = 1000;
  /** Reason of an envelope held only because its sender's new identity awaits 'parley trust'. */
  public static final String HELD = "identity-held";

  private final ProfileStore store;

  public Quarantine(ProfileStore store) {
    this.store = store;
  }

  /** A quarantined envelope and why. */
  public record Entry(Envelope envelope, UUID account, int deviceId, String reason, String detail, long at) {}

  /** Keeps an envelope; joins the caller's transaction. */
  public void keep(Envelope envelope, String reason, String detail, long now) {
    store.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT OR REPLACE INTO quarantine (guid, envelope, account_id, device_id, reason, detail, at)"
                  + " VALUES (?,?,?,?,?,?,?)")) {
        insert.setBytes(1, envelope.getGuid().toByteArray());
        insert.setBytes(2, envelope.toByteArray());
        insert.setString(3, envelope.getSourceAccount());
        insert.setInt(4, envelope.getSourceDevice());
        insert.setString(5, reason);
        insert.setString(6, detail);
        insert.setLong(7, now);
        insert.executeUpdate();
      }
      try (PreparedStatement trim =
          c.prepareStatement(
              "DELETE FROM quarantine WHERE guid IN (SELECT guid FROM quarantine ORDER BY rowid DESC LIMIT -1 OFFSET ?)")) {
        trim.setInt(1, MAX_KEPT);
        trim.executeUpdate();
      }
      return null;
    });
  }

  /** Envelopes held for a new identity of these accounts, oldest first. */
  public List<Entry> held() {
    return list("SELECT envelope, account_id, device_id, reason, detail, at FROM quarantine WHERE reason = '"
        + HELD + "' ORDER BY rowid");
  }

  /** Everything kept, oldest first. */
  public List<Entry> all() {
    return list("SELECT envelope, account_id, device_id, reason, detail, at FROM quarantine ORDER BY rowid");
  }

  public void release(Envelope envelope) {
    store.transaction(c -> {
      try (PreparedStatement delete = c.prepareStatement("DELETE FROM quarantine WHERE guid = ?")) {
        delete.setBytes(1, envelope.getGuid().toByteArray());
        return delete.executeUpdate();
      }
    });
  }

  private List<Entry> list(String sql) {
    return store.read(c -> {
      List<Entry> out = new ArrayList<>();
      try (PreparedStatement select = c.prepareStatement(sql);
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          try {
            out.add(
                new Entry(
                    Envelope.parseFrom(rs.getBytes(1)), UUID.fromString(rs.getString(2)), rs.getInt(3), rs.getString(4),
                    rs.getString(5), rs.getLong(6)));
          } catch (InvalidProtocolBufferException e) {
            throw new SQLException("a quarantined envelope is damaged", e);
          }
        }
      }
      return out;
    });
  }
}
