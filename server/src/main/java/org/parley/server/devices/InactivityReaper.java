package org.parley.server.devices;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.parley.protocol.wire.InactivityWarning;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.protocol.wire.Unlinked;
import org.parley.server.messages.Presence;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.Session;
import org.parley.server.transport.SessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unlinks companions for inactivity (DESIGN.md §8): every companion of a primary that has been away
 * too long, or a companion that has itself been away too long. Decisions rest on the durable
 * last-seen times, so a restart changes nothing and a companion is unlinked exactly once. Connected
 * companions are warned from half the window on.
 */
public final class InactivityReaper implements SessionListener {
  private static final Logger log = LoggerFactory.getLogger(InactivityReaper.class);

  private final Accounts accounts;
  private final ActivityTracker activity;
  private final Presence presence;
  private final InactivityPolicy policy;
  private final Clock clock;
  private final Executor blocking;
  /** The deadline each connected companion was last warned about, so a pass does not repeat it. */
  private final Map<DeviceAddress, Long> warned = new ConcurrentHashMap<>();

  public InactivityReaper(
      Accounts accounts,
      ActivityTracker activity,
      Presence presence,
      InactivityPolicy policy,
      Clock clock,
      Executor blocking) {
    this.accounts = accounts;
    this.activity = activity;
    this.presence = presence;
    this.policy = policy;
    this.clock = clock;
    this.blocking = blocking;
  }

  /** One pass; returns how many companions it unlinked. */
  public synchronized int reap() {
    activity.flush();
    long now = clock.millis();
    int unlinked = 0;
    for (DeviceRecord primary : accounts.idlePrimaries(now - policy.primaryWindow())) {
      List<Integer> companions =
          accounts.devices(primary.account()).stream()
              .filter(d -> !d.isPrimary())
              .map(DeviceRecord::deviceId)
              .toList();
      unlinked += unlink(primary, companions, UnlinkReason.PRIMARY_INACTIVE, now);
    }
    for (DeviceRecord companion : accounts.idleCompanions(now - policy.companionWindow())) {
      unlinked += unlink(companion, List.of(companion.deviceId()), UnlinkReason.COMPANION_INACTIVE, now);
    }
    for (DeviceAddress device : presence.connected()) {
      if (device.device() != 1) {
        warnIfDue(device, false);
      }
    }
    return unlinked;
  }

  private int unlink(DeviceRecord of, List<Integer> companions, UnlinkReason reason, long now) {
    // The signed list keeps naming them until the primary re-signs it; senders encrypt only to
    // devices on both the list and the server's record, so they stop at once anyway.
    List<DeviceAddress> removed =
        accounts.removeDevices(of.account(), companions, reason.getNumber(), now, 0, null);
    Push told = Push.newBuilder().setUnlinked(Unlinked.newBuilder().setReason(reason).setAt(now)).build();
    for (DeviceAddress device : removed) {
      warned.remove(device);
      presence.disconnect(device, told);
      log.info("unlinked {} ({})", device, reason);
    }
    return removed.size();
  }

  private void warnIfDue(DeviceAddress companion, boolean always) {
    Optional<DeviceRecord> device = accounts.device(companion);
    if (device.isEmpty()) {
      return;
    }
    DeviceRecord primary = accounts.device(new DeviceAddress(companion.account(), 1)).orElse(null);
    InactivityPolicy.Deadline warning = policy.warning(device.get(), primary);
    if (warning == null) {
      warned.remove(companion);
      return;
    }
    Long before = warned.put(companion, warning.at());
    if (always || before == null || before != warning.at()) {
      presence.push(
          companion,
          Push.newBuilder()
              .setInactivityWarning(
                  InactivityWarning.newBuilder().setReason(warning.reason()).setUnlinkAt(warning.at()))
              .build());
    }
  }

  /** A companion that connects hears at once about an unlink coming up. */
  @Override
  public void opened(Session session) {
    if (session.kind() == Session.Kind.DEVICE && !session.device().isPrimary()) {
      blocking.execute(() -> warnIfDue(session.address(), true));
    }
  }

  @Override
  public void closed(Session session) {
    if (session.kind() == Session.Kind.DEVICE) {
      warned.remove(session.address());
    }
  }
}
