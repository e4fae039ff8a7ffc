package org.parley.server.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.protocol.wire.Unlinked;
import org.parley.server.messages.Presence;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.OnlineBackup;
import org.parley.server.store.Storage;

/**
 * What {@code parley admin} asks a running server, answered as JSON. It never shows a secret: keys,
 * credential hashes and envelopes stay in the store.
 */
final class AdminApi {
  private final Storage storage;
  private final Presence presence;
  private final Clock clock;
  private final long startedAt;
  private final Path dataDirectory;
  private final Readiness readiness;

  AdminApi(Storage storage, Presence presence, Clock clock, Path dataDirectory, Readiness readiness) {
    this.storage = storage;
    this.presence = presence;
    this.clock = clock;
    this.startedAt = clock.millis();
    this.dataDirectory = dataDirectory;
    this.readiness = readiness;
  }

  String stats() {
    Accounts.Counts counts = storage.accounts().counts();
    return new Json()
        .put("accounts", counts.accounts())
        .put("devices", counts.devices())
        .put("tombstones", counts.tombstones())
        .put("queuedEnvelopes", storage.queues().totalLength())
        .put("connectedDevices", presence.connected().size())
        .put("store", storage instanceof OnlineBackup ? "sqlite" : "postgresql")
        .put("uptimeSeconds", (clock.millis() - startedAt) / 1000)
        .put("draining", readiness.isDraining())
        .toString();
  }

  /** An account by phone number (+E164) or id; empty when there is none. */
  Optional<String> account(String who) {
    return find(who).map(this::describe);
  }

  /** Deletes an account and disconnects its devices, which are told why. */
  Optional<String> deleteAccount(String who) {
    Optional<Account> account = find(who);
    if (account.isEmpty()) {
      return Optional.empty();
    }
    long now = clock.millis();
    Optional<List<DeviceAddress>> removed =
        storage.accounts().deleteAccount(account.get().id(), UnlinkReason.ACCOUNT_DELETED_VALUE, now);
    if (removed.isEmpty()) {
      return Optional.empty();
    }
    Push why =
        Push.newBuilder()
            .setUnlinked(Unlinked.newBuilder().setReason(UnlinkReason.ACCOUNT_DELETED).setAt(now))
            .build();
    removed.get().forEach(device -> presence.disconnect(device, why));
    return Optional.of(
        new Json()
            .put("deleted", account.get().id().toString())
            .put("phone", account.get().phone())
            .put("devicesRemoved", removed.get().size())
            .toString());
  }

  String purgeTombstones(long olderThanMillis) {
    int purged = storage.accounts().purgeTombstones(clock.millis() - olderThanMillis);
    return new Json().put("purged", purged).toString();
  }

  /**
   * A consistent copy of the embedded store in a fresh file inside the data directory (same disk,
   * same permissions), for the caller to stream and delete; empty when the store has no such copy.
   */
  Optional<Path> backup() throws IOException {
    if (!(storage instanceof OnlineBackup online)) {
      return Optional.empty();
    }
    Path file = Files.createTempFile(dataDirectory, "backup-", ".db.tmp");
    Files.delete(file);
    try {
      online.backupTo(file);
    } catch (RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
    return Optional.of(file);
  }

  private Optional<Account> find(String who) {
    if (who.startsWith("+")) {
      return storage.accounts().byPhone(who);
    }
    try {
      return storage.accounts().byId(UUID.fromString(who));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private String describe(Account account) {
    List<Json> devices = new ArrayList<>();
    for (DeviceRecord device : storage.accounts().devices(account.id())) {
      devices.add(
          new Json()
              .put("id", device.deviceId())
              .put("name", device.name())
              .put("primary", device.isPrimary())
              .put("createdAt", device.createdAt())
              .put("lastSeen", device.lastSeen())
              .put("connected", presence.isConnected(device.address()))
              .put("queued", storage.queues().length(device.address())));
    }
    return new Json()
        .put("id", account.id().toString())
        .put("phone", account.phone())
        .put("createdAt", account.createdAt())
        .put("deviceListVersion", account.deviceListVersion())
        .put("devices", devices)
        .toString();
  }
}
