package org.parley.server.store.postgres;

import org.parley.server.store.Accounts;
import org.parley.server.store.Groups;
import org.parley.server.store.RegistrationLocks;
import org.parley.server.store.Keys;
import org.parley.server.store.Queues;
import org.parley.server.store.Storage;
import org.parley.server.store.VerificationCodes;

/**
 * The clustered store (DESIGN.md §10): one PostgreSQL database shared by every relay node. It holds
 * the truth; nodes keep nothing that another node would need.
 */
public final class PostgresStorage implements Storage {
  private final PostgresDatabase db;
  private final PostgresAccounts accounts;
  private final PostgresVerificationCodes codes;
  private final PostgresKeys keys;
  private final PostgresQueues queues;
  private final PostgresGroups groups;
  private final PostgresRegistrationLocks registrationLocks;

  public PostgresStorage(StoreUrl url) {
    this.db = new PostgresDatabase(url);
    this.queues = new PostgresQueues(db);
    this.accounts = new PostgresAccounts(db, queues::forget);
    this.codes = new PostgresVerificationCodes(db);
    this.keys = new PostgresKeys(db);
    this.groups = new PostgresGroups(db);
    this.registrationLocks = new PostgresRegistrationLocks(db);
  }

  @Override
  public Accounts accounts() {
    return accounts;
  }

  @Override
  public VerificationCodes verificationCodes() {
    return codes;
  }

  @Override
  public Keys keys() {
    return keys;
  }

  @Override
  public Queues queues() {
    return queues;
  }

  @Override
  public Groups groups() {
    return groups;
  }

  @Override
  public RegistrationLocks registrationLocks() {
    return registrationLocks;
  }

  @Override
  public void probe() {
    db.transaction(
        c -> {
          try (var update = c.prepareStatement("UPDATE health SET probes = probes + 1 WHERE id = 1")) {
            return update.executeUpdate();
          }
        });
  }

  @Override
  public void close() {
    db.close();
  }
}
