package org.parley.client.appstate;

import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.AppStateMutation;
import org.parley.protocol.wire.AppStateValue;

/**
 * The mutation log (DESIGN.md §16), compacted: for every key the mutation that wins, deletions
 * included, and which of this device's own changes have not been sent yet. Table {@code app_state};
 * nothing else writes it.
 */
public final class AppStateLog {
  private static final String CLOCK = "app_state_clock";
  private static final String COLUMNS = "key, value, version, device_id, timestamp";

  private final ProfileStore store;

  public AppStateLog(ProfileStore store) {
    this.store = store;
  }

  /** The stored winner for a key. */
  public record Entry(String key, AppStateValue value, long version, int deviceId, long timestamp) {
    public boolean deleted() {
      return value == null;
    }

    AppStateMutation toProto() {
      AppStateMutation.Builder proto =
          AppStateMutation.newBuilder().setKey(key).setVersion(version).setDeviceId(deviceId).setTimestamp(timestamp);
      if (value != null) {
        proto.setValue(value);
      }
      return proto.build();
    }
  }

  public Optional<Entry> get(AppStateKey key) {
    return store.read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT " + COLUMNS + " FROM app_state WHERE key = ?")) {
        select.setString(1, key.toString());
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
        }
      }
    });
  }

  /** The live (not deleted) entries of a kind, in key order. */
  public List<Entry> live(AppStateKey.Kind kind) {
    return select("kind = ? AND value IS NOT NULL", kind.word());
  }

  /** The live entries about a chat. */
  public List<Entry> liveAbout(ChatRef chat) {
    return select("chat = ? AND value IS NOT NULL", chat.token());
  }

  /** The live entries of a kind that name a label. */
  public List<Entry> liveWithLabel(AppStateKey.Kind kind, String label) {
    return select("label = ? AND kind = ? AND value IS NOT NULL", label, kind.word());
  }

  private List<Entry> select(String where, String... args) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT " + COLUMNS + " FROM app_state WHERE " + where + " ORDER BY key")) {
        for (int i = 0; i < args.length; i++) {
          select.setString(i + 1, args[i]);
        }
        List<Entry> out = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            out.add(entry(rs));
          }
        }
        return out;
      }
    });
  }

  public int count(AppStateKey.Kind kind) {
    return count("SELECT COUNT(*) FROM app_state WHERE kind = ? AND value IS NOT NULL", kind.word());
  }

  public int countLive(String where, String arg) {
    return count("SELECT COUNT(*) FROM app_state WHERE value IS NOT NULL AND " + where, arg);
  }

  /** Every entry, deletions included: what the log holds against its bound. */
  public int size() {
    return count("SELECT COUNT(*) FROM app_state");
  }

  private int count(String sql, String... args) {
    return store.read(c -> {
      try (PreparedStatement select = c.prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) {
          select.setString(i + 1, args[i]);
        }
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? rs.getInt(1) : 0;
        }
      }
    });
  }

  /**
   * The version a change made here gets: past every version this device has seen, for any key
   * (a Lamport clock). So a change wins over everything this device knew when it was made, and a
   * key whose deletion was forgotten still comes back with a version higher than that deletion's.
   */
  public long nextVersion() {
    return store.transaction(c -> {
      long next = clock(c) + 1;
      seen(c, next);
      return next;
    });
  }

  private static long clock(Connection c) throws SQLException {
    try (PreparedStatement select = c.prepareStatement("SELECT value FROM settings WHERE name = ?")) {
      select.setString(1, CLOCK);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() && rs.getBytes(1) != null ? Long.parseLong(new String(rs.getBytes(1))) : 0;
      }
    }
  }

  private static void seen(Connection c, long version) throws SQLException {
    if (version <= clock(c)) {
      return;
    }
    try (PreparedStatement put = c.prepareStatement("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)")) {
      put.setString(1, CLOCK);
      put.setBytes(2, Long.toString(version).getBytes());
      put.executeUpdate();
    }
  }

  /** What {@link #merge} did. */
  public record Merged(boolean applied, Entry previous) {}

  /**
   * Stores the mutation if it wins over the key's entry (joins the caller's transaction). Applying
   * one twice, or one that lost, changes nothing: the same mutations in any order leave every device
   * with the same entries.
   *
   * @param pending a change made on this device, still to be sent
   */
  public Merged merge(Mutation mutation, boolean pending) {
    return store.transaction(c -> {
      try (Bulk bulk = new Bulk(c)) {
        return bulk.merge(mutation, pending);
      }
    });
  }

  /**
   * Many merges on one connection, inside the caller's transaction, with statements prepared once
   * (a history snapshot of tens of thousands of entries). The clock moves once, on close.
   */
  public static final class Bulk implements AutoCloseable {
    private final Connection c;
    private final PreparedStatement select;
    private final PreparedStatement upsert;
    private long highest;
    private long size = -1;

    public Bulk(Connection c) throws SQLException {
      this.c = c;
      this.select = c.prepareStatement("SELECT " + COLUMNS + " FROM app_state WHERE key = ?");
      this.upsert =
          c.prepareStatement(
              "INSERT OR REPLACE INTO app_state (key, kind, chat, label, value, version, device_id, timestamp, pending)"
                  + " VALUES (?,?,?,?,?,?,?,?,?)");
    }

    /** Entries in the log, deletions included, as of this bulk's merges. */
    public long size() throws SQLException {
      if (size < 0) {
        try (PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM app_state");
            ResultSet rs = count.executeQuery()) {
          size = rs.next() ? rs.getLong(1) : 0;
        }
      }
      return size;
    }

    public Optional<Entry> get(String key) throws SQLException {
      select.setString(1, key);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
      }
    }

    public Merged merge(Mutation mutation, boolean pending) throws SQLException {
      String key = mutation.key().toString();
      Entry previous = get(key).orElse(null);
      highest = Math.max(highest, mutation.version());
      if (previous != null
          && !mutation.beats(
              previous.version(), previous.deviceId(), previous.value() == null ? null : previous.value().toByteArray())) {
        return new Merged(false, previous);
      }
      AppStateKey k = mutation.key();
      upsert.setString(1, key);
      upsert.setString(2, k.kind().word());
      upsert.setString(3, k.chat() == null ? null : k.chat().token());
      upsert.setString(4, k.label());
      upsert.setBytes(5, mutation.valueBytes());
      upsert.setLong(6, mutation.version());
      upsert.setInt(7, mutation.deviceId());
      upsert.setLong(8, mutation.timestamp());
      upsert.setInt(9, pending ? 1 : 0);
      upsert.executeUpdate();
      if (previous == null && size >= 0) {
        size++;
      }
      return new Merged(true, previous);
    }

    @Override
    public void close() throws SQLException {
      try (select;
          upsert) {
        seen(c, highest);
      }
    }
  }

  /** This device's changes that have not been sent yet, oldest version first. */
  public List<Mutation> pending(int limit) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT " + COLUMNS + " FROM app_state WHERE pending = 1 ORDER BY version LIMIT ?")) {
        select.setInt(1, limit);
        List<Mutation> out = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            Entry e = entry(rs);
            out.add(new Mutation(AppStateKey.parse(e.key()), e.value(), e.version(), e.deviceId(), e.timestamp()));
          }
        }
        return out;
      }
    });
  }

  /** The server holds these for every other own device; a newer entry for the key is left as it is. */
  public void sent(List<Mutation> mutations) {
    store.transaction(c -> {
      try (PreparedStatement update =
          c.prepareStatement("UPDATE app_state SET pending = 0 WHERE key = ? AND version = ? AND device_id = ?")) {
        for (Mutation m : mutations) {
          update.setString(1, m.key().toString());
          update.setLong(2, m.version());
          update.setInt(3, m.deviceId());
          update.addBatch();
        }
        update.executeBatch();
      }
      return null;
    });
  }

  /** Forgets deletions made before a time (see {@link AppStateLimits#KEEP_DELETIONS}). */
  public int forgetDeletionsBefore(long time) {
    return store.transaction(c -> {
      try (PreparedStatement delete =
          c.prepareStatement("DELETE FROM app_state WHERE value IS NULL AND pending = 0 AND timestamp < ?")) {
        delete.setLong(1, time);
        return delete.executeUpdate();
      }
    });
  }

  /** Something that takes the log's entries one by one (a history export). */
  @FunctionalInterface
  public interface Sink {
    void accept(AppStateMutation entry) throws java.io.IOException;
  }

  /**
   * Hands every entry, deletions included, to {@code sink} in key order, one row at a time (never
   * the whole state in memory). Runs under the profile's lock.
   */
  public long export(Connection c, Sink sink) throws SQLException, java.io.IOException {
    long count = 0;
    try (PreparedStatement select = c.prepareStatement("SELECT " + COLUMNS + " FROM app_state ORDER BY key");
        ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        sink.accept(entry(rs).toProto());
        count++;
      }
    }
    return count;
  }

  private static Entry entry(ResultSet rs) throws SQLException {
    byte[] value = rs.getBytes(2);
    try {
      return new Entry(
          rs.getString(1), value == null ? null : AppStateValue.parseFrom(value), rs.getLong(3), rs.getInt(4),
          rs.getLong(5));
    } catch (InvalidProtocolBufferException e) {
      throw new SQLException("app-state entry " + rs.getString(1) + " cannot be read", e);
    }
  }
}
