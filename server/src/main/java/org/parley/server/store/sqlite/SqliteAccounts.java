package org.parley.server.store.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.store.Tombstone;

final class SqliteAccounts implements Accounts {
  static final String DEVICE_COLUMNS =
      "account_id, device_id, registration_id, identity_key, credential_hash, name, kind, created_at, last_seen, device_signature";

  private final SqliteDatabase db;
  /** Told of every device whose queue was purged in bulk, so cached queue lengths are dropped. */
  private final Consumer<DeviceAddress> purged;

  /**
   * Device lists for the coverage check of every send, which otherwise reads the recipient's and
   * the sender's lists from the file each time. Every change of an account's devices drops its entry
   * once committed ({@link #changed}); a list read before a change and stored after it would be
   * stale, so a list is stored only if no change at all happened since its read began ({@code
   * changes}, compared inside the map's atomic {@code compute}, which orders it against the drop).
   * Safe because this process is the only writer of the file (the data directory is locked).
   */
  private final Map<UUID, List<DeviceRecord>> routing = new ConcurrentHashMap<>();
  private final AtomicLong changes = new AtomicLong();
  static final int MAX_ROUTING_ENTRIES = 100_000;
  /** Runs between a routing read and its storing; tests put a device change there. */
  volatile Runnable afterRoutingRead = () -> {};

  SqliteAccounts(SqliteDatabase db, Consumer<DeviceAddress> purged) {
    this.db = db;
    this.purged = purged;
  }

  @Override
  public List<DeviceRecord> routingDevices(UUID account) {
    List<DeviceRecord> cached = routing.get(account);
    if (cached != null) {
      return cached;
    }
    long seen = changes.get();
    List<DeviceRecord> read = List.copyOf(devices(account));
    afterRoutingRead.run();
    if (read.isEmpty()) {
      // No such account: not kept, or anyone sending to made-up ids would fill the cache and have it
      // cleared over and over, for everyone (each send then reads, and not on the event loop).
      return read;
    }
    if (routing.size() >= MAX_ROUTING_ENTRIES) {
      routing.clear(); // bounded; the busy accounts come back on their next send
    }
    routing.compute(account, (a, present) -> changes.get() == seen ? read : present);
    return read;
  }

  @Override
  public boolean routingCached(UUID account) {
    return routing.containsKey(account);
  }

  /** An account's devices changed and the change is committed: its cached list goes. */
  private void changed(UUID account) {
    changes.incrementAndGet(); // before the removal: a compute after the removal then sees it
    routing.remove(account);
  }

  @Override
  public Optional<Account> byId(UUID id) {
    return db.read(c -> account(c, "id", id.toString()));
  }

  @Override
  public Optional<Account> byPhone(String phone) {
    return db.read(c -> account(c, "phone", phone));
  }

  private static Optional<Account> account(Connection c, String column, String value)
      throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT id, phone, created_at, device_list, device_list_version FROM accounts WHERE "
                + column
                + " = ?")) {
      select.setString(1, value);
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Account(
                UUID.fromString(rs.getString(1)),
                rs.getString(2),
                rs.getLong(3),
                rs.getBytes(4),
                rs.getLong(5)));
      }
    }
  }

  @Override
  public Registration registerPrimary(
      String phone, DeviceRecord primary, PreKeys.Upload keys, int reason) {
    Registration registration =
        db.writeAndWait(
            c -> {
              Optional<Account> existing = account(c, "phone", phone);
              UUID id;
              List<DeviceAddress> removed = new ArrayList<>();
              if (existing.isPresent()) {
                id = existing.get().id();
                List<Integer> old = new ArrayList<>();
                for (DeviceRecord device : devices(c, id)) {
                  old.add(device.deviceId());
                }
                removed.addAll(remove(c, id, old, reason, primary.createdAt()));
              } else {
                id = primary.account();
                try (PreparedStatement insert =
                    c.prepareStatement(
                        "INSERT INTO accounts (id, phone, created_at) VALUES (?,?,?)")) {
                  insert.setString(1, id.toString());
                  insert.setString(2, phone);
                  insert.setLong(3, primary.createdAt());
                  insert.executeUpdate();
                }
              }
              DeviceRecord device =
                  new DeviceRecord(
                      id,
                      1,
                      primary.registrationId(),
                      primary.identityKey(),
                      primary.credentialHash(),
                      primary.name(),
                      primary.kind(),
                      primary.createdAt(),
                      primary.lastSeen(),
                      primary.deviceSignature());
              // The old primary's tombstone stays beside the new device 1: the phone that lost the
              // number still shows its old credential and must be told why it no longer works.
              insertDevice(c, device);
              SqliteKeys.store(c, device.address(), keys);
              return new Registration(account(c, "id", id.toString()).orElseThrow(), removed);
            });
    changed(registration.account().id());
    registration.removed().forEach(purged);
    return registration;
  }

  private static void insertDevice(Connection c, DeviceRecord device) throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO devices (" + DEVICE_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?)")) {
      insert.setString(1, device.account().toString());
      insert.setInt(2, device.deviceId());
      insert.setInt(3, device.registrationId());
      insert.setBytes(4, device.identityKey());
      insert.setBytes(5, device.credentialHash());
      insert.setString(6, device.name());
      insert.setInt(7, device.kind());
      insert.setLong(8, device.createdAt());
      insert.setLong(9, device.lastSeen());
      insert.setBytes(10, device.deviceSignature());
      insert.executeUpdate();
    }
  }

  @Override
  public List<DeviceRecord> devices(UUID account) {
    return db.read(c -> devices(c, account));
  }

  static List<DeviceRecord> devices(Connection c, UUID account) throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT " + DEVICE_COLUMNS + " FROM devices WHERE account_id = ? ORDER BY device_id")) {
      select.setString(1, account.toString());
      List<DeviceRecord> out = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          out.add(device(rs));
        }
      }
      return out;
    }
  }

  @Override
  public Optional<DeviceRecord> device(DeviceAddress address) {
    return db.read(c -> device(c, address));
  }

  static final String SELECT_DEVICE = "SELECT " + DEVICE_COLUMNS + " FROM devices WHERE account_id = ? AND device_id = ?";

  static Optional<DeviceRecord> device(Connection c, DeviceAddress address) throws SQLException {
    try (PreparedStatement select = c.prepareStatement(SELECT_DEVICE)) {
      return device(select, address);
    }
  }

  /** With {@link #SELECT_DEVICE} prepared (a cached statement: left open). */
  static Optional<DeviceRecord> device(PreparedStatement select, DeviceAddress address) throws SQLException {
    select.setString(1, address.account().toString());
    select.setInt(2, address.device());
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? Optional.of(device(rs)) : Optional.empty();
    }
  }

  static DeviceRecord device(ResultSet rs) throws SQLException {
    return new DeviceRecord(
        UUID.fromString(rs.getString(1)),
        rs.getInt(2),
        rs.getInt(3),
        rs.getBytes(4),
        rs.getBytes(5),
        rs.getString(6),
        rs.getInt(7),
        rs.getLong(8),
        rs.getLong(9),
        rs.getBytes(10));
  }

  @Override
  public Optional<Tombstone> tombstone(DeviceAddress address, byte[] credentialHash) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT credential_hash, reason, at FROM tombstones WHERE account_id = ? AND device_id = ?"
                      + " AND credential_hash = ?")) {
            select.setString(1, address.account().toString());
            select.setInt(2, address.device());
            select.setBytes(3, credentialHash);
            try (ResultSet rs = select.executeQuery()) {
              return rs.next()
                  ? Optional.of(new Tombstone(address, rs.getBytes(1), rs.getInt(2), rs.getLong(3)))
                  : Optional.empty();
            }
          }
        });
  }

  @Override
  public boolean putDeviceList(UUID account, long version, byte[] signedList) {
    return db.writeAndWait(c -> putList(c, account, version, signedList));
  }

  private static boolean putList(Connection c, UUID account, long version, byte[] signedList)
      throws SQLException {
    try (PreparedStatement update =
        c.prepareStatement(
            "UPDATE accounts SET device_list = ?, device_list_version = ? WHERE id = ? AND device_list_version < ?")) {
      update.setBytes(1, signedList);
      update.setLong(2, version);
      update.setString(3, account.toString());
      update.setLong(4, version);
      return update.executeUpdate() == 1;
    }
  }

  @Override
  public int reserveDeviceId(UUID account) {
    return db.writeAndWait(
        c -> {
          try (PreparedStatement update =
              c.prepareStatement(
                  "UPDATE accounts SET next_device_id = next_device_id + 1 WHERE id = ? RETURNING next_device_id - 1")) {
            update.setString(1, account.toString());
            try (ResultSet rs = update.executeQuery()) {
              if (!rs.next()) {
                throw new SQLException("no account " + account);
              }
              return rs.getInt(1);
            }
          }
        });
  }

  @Override
  public LinkResult addCompanion(
      DeviceRecord device, PreKeys.Upload keys, long listVersion, byte[] signedList, int maxCompanions) {
    try {
      return link(device, keys, listVersion, signedList, maxCompanions);
    } finally {
      changed(device.account()); // also when the write failed: it may have committed all the same
    }
  }

  private LinkResult link(
      DeviceRecord device, PreKeys.Upload keys, long listVersion, byte[] signedList, int maxCompanions) {
    return db.writeAndWait(
        c -> {
          List<DeviceRecord> existing = devices(c, device.account());
          long companions = existing.stream().filter(d -> !d.isPrimary()).count();
          if (existing.stream().anyMatch(d -> d.deviceId() == device.deviceId())) {
            return LinkResult.DEVICE_ID_TAKEN;
          }
          if (companions >= maxCompanions) {
            return LinkResult.LIMIT_REACHED;
          }
          if (!putList(c, device.account(), listVersion, signedList)) {
            return LinkResult.STALE_VERSION;
          }
          insertDevice(c, device);
          SqliteKeys.store(c, device.address(), keys);
          return LinkResult.LINKED;
        });
  }

  @Override
  public List<DeviceAddress> removeDevices(
      UUID account, Collection<Integer> deviceIds, int reason, long now, long listVersion, byte[] signedList) {
    List<DeviceAddress> removed =
        db.writeAndWait(
            c -> {
              if (signedList != null) {
                putList(c, account, listVersion, signedList);
              }
              return remove(c, account, deviceIds, reason, now);
            });
    changed(account);
    removed.forEach(purged);
    return removed;
  }

  private static List<DeviceAddress> remove(
      Connection c, UUID account, Collection<Integer> deviceIds, int reason, long now)
      throws SQLException {
    List<DeviceAddress> removed = new ArrayList<>();
    for (int deviceId : deviceIds) {
      DeviceAddress address = new DeviceAddress(account, deviceId);
      try (PreparedStatement delete =
          c.prepareStatement(
              "DELETE FROM devices WHERE account_id = ? AND device_id = ? RETURNING credential_hash")) {
        delete.setString(1, account.toString());
        delete.setInt(2, deviceId);
        byte[] credentialHash;
        try (ResultSet rs = delete.executeQuery()) {
          if (!rs.next()) {
            continue;
          }
          credentialHash = rs.getBytes(1);
        }
        try (PreparedStatement tombstone =
            c.prepareStatement(
                "INSERT OR REPLACE INTO tombstones (account_id, device_id, credential_hash, reason, at) VALUES (?,?,?,?,?)")) {
          tombstone.setString(1, account.toString());
          tombstone.setInt(2, deviceId);
          tombstone.setBytes(3, credentialHash);
          tombstone.setInt(4, reason);
          tombstone.setLong(5, now);
          tombstone.executeUpdate();
        }
      }
      SqliteKeys.purge(c, address);
      SqliteQueues.purge(c, address);
      removed.add(address);
    }
    return removed;
  }

  @Override
  public List<DeviceRecord> idlePrimaries(long seenBefore) {
    return idle(
        "device_id = 1 AND last_seen < ? AND EXISTS"
            + " (SELECT 1 FROM devices c WHERE c.account_id = devices.account_id AND c.device_id != 1)",
        seenBefore);
  }

  @Override
  public List<DeviceRecord> idleCompanions(long seenBefore) {
    return idle("device_id != 1 AND last_seen < ?", seenBefore);
  }

  private List<DeviceRecord> idle(String where, long seenBefore) {
    return db.read(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT " + DEVICE_COLUMNS + " FROM devices WHERE " + where)) {
            select.setLong(1, seenBefore);
            List<DeviceRecord> out = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                out.add(device(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public Counts counts() {
    return db.read(
        c -> {
          try (var statement = c.createStatement();
              ResultSet rs =
                  statement.executeQuery(
                      "SELECT (SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM devices),"
                          + " (SELECT COUNT(*) FROM tombstones)")) {
            rs.next();
            return new Counts(rs.getLong(1), rs.getLong(2), rs.getLong(3));
          }
        });
  }

  @Override
  public Optional<List<DeviceAddress>> deleteAccount(UUID account, int reason, long now) {
    Optional<List<DeviceAddress>> removed =
        db.writeAndWait(
            c -> {
              if (account(c, "id", account.toString()).isEmpty()) {
                return Optional.empty();
              }
              List<Integer> ids = new ArrayList<>();
              for (DeviceRecord device : devices(c, account)) {
                ids.add(device.deviceId());
              }
              List<DeviceAddress> gone = remove(c, account, ids, reason, now);
              try (PreparedStatement delete = c.prepareStatement("DELETE FROM accounts WHERE id = ?")) {
                delete.setString(1, account.toString());
                delete.executeUpdate();
              }
              return Optional.of(gone);
            });
    changed(account);
    removed.ifPresent(devices -> devices.forEach(purged));
    return removed;
  }

  @Override
  public int purgeTombstones(long before) {
    return db.writeAndWait(
        c -> {
          try (PreparedStatement delete = c.prepareStatement("DELETE FROM tombstones WHERE at < ?")) {
            delete.setLong(1, before);
            return delete.executeUpdate();
          }
        });
  }

  @Override
  public void recordActivity(Map<DeviceAddress, Long> lastSeen) {
    if (lastSeen.isEmpty()) {
      return;
    }
    db.writeAndWait(
        c -> {
          try (PreparedStatement update =
              c.prepareStatement(
                  "UPDATE devices SET last_seen = MAX(last_seen, ?) WHERE account_id = ? AND device_id = ?")) {
            for (var entry : lastSeen.entrySet()) {
              update.setLong(1, entry.getValue());
              update.setString(2, entry.getKey().account().toString());
              update.setInt(3, entry.getKey().device());
              update.addBatch();
            }
            update.executeBatch();
          }
          return null;
        });
  }
}
