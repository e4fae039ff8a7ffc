package org.parley.server.messages;

import io.micrometer.core.instrument.Counter;
import java.util.List;
import java.util.concurrent.Executor;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.PreKeysLow;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Unlinked;
import org.parley.server.Limits;
import org.parley.server.devices.ActivityTracker;
import org.parley.server.store.Keys;
import org.parley.server.store.PreKeys;
import org.parley.server.store.Queues;
import org.parley.server.transport.DeliveryHooks;
import org.parley.server.transport.Session;
import org.parley.server.transport.SessionListener;
import org.parley.server.transport.Unlinking;

/**
 * What happens when a device connects: it becomes the device's live connection, its queue starts
 * flowing, it is told if it should upload pre-keys; a revoked device is told why it was unlinked.
 */
public final class DeviceSessions implements SessionListener, DeliveryHooks {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DeviceSessions.class);
  /** A device connection's delivery pump; none on a connection that does not take the queue. */
  static final Session.Slot<DeliveryPump> PUMP = Session.Slot.named("delivery pump");

  private final Presence presence;
  private final Queues queues;
  private final Keys keys;
  private final ActivityTracker activity;
  private final Executor blocking;
  private final Limits limits;
  private final Counter delivered;
  private final long ackHoldNanos;

  /**
   * @param delivered counts every envelope pushed to a device
   * @param ackHold how long the store holds an envelope pushed early for its ack (a device that acks
   *     slower is not waited for)
   */
  public DeviceSessions(
      Presence presence,
      Queues queues,
      Keys keys,
      ActivityTracker activity,
      Executor blocking,
      Limits limits,
      Counter delivered,
      java.time.Duration ackHold) {
    this.presence = presence;
    this.queues = queues;
    this.keys = keys;
    this.activity = activity;
    this.blocking = blocking;
    this.limits = limits;
    this.delivered = delivered;
    this.ackHoldNanos = ackHold.toNanos();
  }

  @Override
  public void opened(Session session) {
    switch (session.kind()) {
      case DEVICE -> {
        DeliveryPump pump =
            session.receivesQueue() ? new DeliveryPump(session, queues, blocking, limits.deliveryWindow(), delivered, ackHoldNanos, System::nanoTime) : null;
        session.put(PUMP, pump);
        var heard = presence.register(session);
        activity.touch(session.address());
        if (pump != null) {
          // Read the queue only once other nodes' wake-ups reach this connection: nothing committed
          // in between is missed. If the bus is down, read anyway; it wakes everyone when it is back.
          heard.whenComplete((ok, failure) -> session.whenReady(pump::start));
        }
        blocking.execute(() -> checkPreKeys(session));
      }
      case UNLINKED -> {
        var tombstone = session.tombstone();
        session.push(
            Push.newBuilder()
                .setUnlinked(
                    Unlinked.newBuilder()
                        .setReasonValue(tombstone.reason())
                        .setAt(tombstone.at()))
                .build());
        log.debug("revoked device connected: {}", Unlinking.describe(tombstone));
      }
      default -> {}
    }
  }

  @Override
  public void closed(Session session) {
    if (session.kind() == Session.Kind.DEVICE) {
      presence.unregister(session);
      activity.touch(session.address());
    }
  }

  /** Tells the device to upload more one-time pre-keys when its supply on the server runs low. */
  public void checkPreKeys(Session session) {
    PreKeys.Counts counts = keys.counts(session.address());
    if (counts.preKeys() < limits.lowPreKeyThreshold()
        || counts.kyberPreKeys() < limits.lowPreKeyThreshold()) {
      session.push(
          Push.newBuilder()
              .setPreKeysLow(
                  PreKeysLow.newBuilder()
                      .setPreKeys(counts.preKeys())
                      .setKyberPreKeys(counts.kyberPreKeys()))
              .build());
    }
  }

  @Override
  public void ack(Session session, Request request) {
    Ack ack = request.getAck();
    if (session.get(PUMP) instanceof DeliveryPump pump && ack.getGuidsCount() > 0) {
      pump.ack(List.copyOf(ack.getGuidsList()));
    }
  }

  @Override
  public boolean settled(Session session) {
    return !(session.get(PUMP) instanceof DeliveryPump pump) || pump.settled();
  }

  @Override
  public void writable(Session session) {
    if (session.get(PUMP) instanceof DeliveryPump pump) {
      pump.writable();
    }
  }
}
