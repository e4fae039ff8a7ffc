package org.parley.client.attachments;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Optional;
import org.parley.client.store.ProfileStore;

/**
 * Uploads begun and not yet carried by a message, kept in the profile: a send that broke off (the
 * server unreachable, the process killed) and is run again continues after the bytes the server
 * holds, with the same key and IV, which make the same ciphertext from the same file.
 */
final class UploadSlots {
  /** One file's upload: the file as it was when the upload began, and the blob it goes to. */
  record Slot(String file, long size, long modified, String blobId, byte[] key, byte[] iv, long expiresAt) {}

  private final ProfileStore store;

  UploadSlots(ProfileStore store) {
    this.store = store;
  }

  Optional<Slot> find(String file, long size, long modified, long now) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT blob_id, key, iv, expires_at FROM attachment_uploads WHERE file = ? AND size = ? AND modified = ?"
                  + " AND expires_at > ?")) {
        select.setString(1, file);
        select.setLong(2, size);
        select.setLong(3, modified);
        select.setLong(4, now);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next()
              ? Optional.of(new Slot(file, size, modified, rs.getString(1), rs.getBytes(2), rs.getBytes(3), rs.getLong(4)))
              : Optional.empty();
        }
      }
    });
  }

  void save(Slot slot) {
    store.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT OR REPLACE INTO attachment_uploads (file, size, modified, blob_id, key, iv, expires_at)"
                  + " VALUES (?,?,?,?,?,?,?)")) {
        insert.setString(1, slot.file());
        insert.setLong(2, slot.size());
        insert.setLong(3, slot.modified());
        insert.setString(4, slot.blobId());
        insert.setBytes(5, slot.key());
        insert.setBytes(6, slot.iv());
        insert.setLong(7, slot.expiresAt());
        return insert.executeUpdate();
      }
    });
  }

  /** The upload is carried by a message now (or abandoned), or it expired. */
  void forget(String blobId, long now) {
    store.transaction(c -> {
      try (PreparedStatement delete =
          c.prepareStatement("DELETE FROM attachment_uploads WHERE blob_id = ? OR expires_at <= ?")) {
        delete.setString(1, blobId);
        delete.setLong(2, now);
        return delete.executeUpdate();
      }
    });
  }
}
