package org.parley.server.devices;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers when each device was last active and writes that to the store in batches, so activity
 * costs one map update per event instead of one write per frame. A connected device counts as
 * active at every flush.
 */
public final class ActivityTracker {
  private static final Logger log = LoggerFactory.getLogger(ActivityTracker.class);

  private final Accounts accounts;
  private final Clock clock;
  private final Supplier<Iterable<DeviceAddress>> connected;
  private final Map<DeviceAddress, Long> pending = new ConcurrentHashMap<>();

  public ActivityTracker(Accounts accounts, Clock clock, Supplier<Iterable<DeviceAddress>> connected) {
    this.accounts = accounts;
    this.clock = clock;
    this.connected = connected;
  }

  public void touch(DeviceAddress device) {
    pending.put(device, clock.millis());
  }

  /** When the device was last seen and not yet flushed, if at all. */
  public Long unflushed(DeviceAddress device) {
    return pending.get(device);
  }

  public void flush() {
    long now = clock.millis();
    for (DeviceAddress device : connected.get()) {
      pending.put(device, now);
    }
    if (pending.isEmpty()) {
      return;
    }
    Map<DeviceAddress, Long> batch = new HashMap<>(pending);
    try {
      accounts.recordActivity(batch);
      batch.forEach(pending::remove);
    } catch (RuntimeException e) {
      log.warn("could not record device activity; will try again", e);
    }
  }
}
