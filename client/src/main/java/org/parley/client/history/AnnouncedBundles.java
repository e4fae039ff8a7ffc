package org.parley.client.history;

import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.HistorySync;

/**
 * The history bundles announced to this device and what became of them (table {@code
 * history_bundles}): remembered when announced, marked imported in the import's own commit, or
 * marked failed when refused for good.
 */
final class AnnouncedBundles {
  private final ProfileStore store;
  private final Clock clock;

  AnnouncedBundles(ProfileStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  boolean remember(HistorySync announcement) {
    return store.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT OR IGNORE INTO history_bundles (blob_id, part, announcement, received_at) VALUES (?,?,?,?)")) {
        insert.setString(1, announcement.getBlobId());
        insert.setInt(2, announcement.getPart());
        insert.setBytes(3, announcement.toByteArray());
        insert.setLong(4, clock.millis());
        return insert.executeUpdate() == 1;
      }
    });
  }

  /** Neither imported nor refused for good, in part order. */
  List<HistorySync> pending() {
    return store.read(c -> {
      List<HistorySync> pending = new ArrayList<>();
      try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT announcement FROM history_bundles WHERE imported_at IS NULL AND failure IS NULL"
                      + " ORDER BY part, received_at");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          try {
            pending.add(HistorySync.parseFrom(rs.getBytes(1)));
          } catch (InvalidProtocolBufferException e) {
            throw new SQLException("a remembered history announcement is damaged", e);
          }
        }
      }
      return pending;
    });
  }

  boolean imported(String blobId) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT 1 FROM history_bundles WHERE blob_id = ? AND imported_at IS NOT NULL")) {
        select.setString(1, blobId);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /** Inside the import's transaction, so the bundle counts as imported exactly when its records do. */
  void markImported(Connection c, HistorySync announcement, long records) throws SQLException {
    try (PreparedStatement upsert =
        c.prepareStatement(
            "INSERT INTO history_bundles (blob_id, part, announcement, received_at, imported_at, records)"
                + " VALUES (?,?,?,?,?,?) ON CONFLICT (blob_id) DO UPDATE SET imported_at = excluded.imported_at,"
                + " records = excluded.records")) {
      long now = clock.millis();
      upsert.setString(1, announcement.getBlobId());
      upsert.setInt(2, announcement.getPart());
      upsert.setBytes(3, announcement.toByteArray());
      upsert.setLong(4, now);
      upsert.setLong(5, now);
      upsert.setLong(6, records);
      upsert.executeUpdate();
    }
  }

  void markFailed(HistorySync announcement, String reason) {
    store.transaction(c -> {
      try (PreparedStatement update = c.prepareStatement("UPDATE history_bundles SET failure = ? WHERE blob_id = ?")) {
        update.setString(1, reason);
        update.setString(2, announcement.getBlobId());
        return update.executeUpdate();
      }
    });
  }
}
