package org.parley.server.messages;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.wire.ConnectedElsewhere;
import org.parley.protocol.wire.Push;
import org.parley.server.cluster.NodeBus;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.transport.Session;

/**
 * Which devices are connected to this node. A device has at most one receiving connection in the
 * whole cluster (its queue flows there; a newer one replaces the older, here or on another node,
 * which is told and closed) and any number of others (one-off sends), which still hear about
 * unlinks and pre-key shortages. What happens here that other nodes must know goes out on the
 * {@link NodeBus}; what they tell comes back through a listener per connection.
 */
public final class Presence {
  private static final Push CONNECTED_ELSEWHERE =
      Push.newBuilder().setConnectedElsewhere(ConnectedElsewhere.getDefaultInstance()).build();

  private final NodeBus bus;
  private final Map<DeviceAddress, Session> receivers = new ConcurrentHashMap<>();
  private final Map<DeviceAddress, Set<Session>> sessions = new ConcurrentHashMap<>();
  private final Map<Session, NodeBus.Listener> listening = new ConcurrentHashMap<>();

  public Presence(NodeBus bus) {
    this.bus = bus;
  }

  /**
   * Adds a connection; completes once other nodes' notices for the device reach it (or the bus
   * failed to promise that), so reading the queue after it misses nothing.
   */
  CompletableFuture<Void> register(Session session) {
    DeviceAddress device = session.address();
    sessions.computeIfAbsent(device, a -> ConcurrentHashMap.newKeySet()).add(session);
    NodeBus.Listener listener = new FromOtherNodes(session);
    listening.put(session, listener);
    CompletableFuture<Void> heard = bus.listen(device, listener);
    if (session.receivesQueue()) {
      Session previous = receivers.put(device, session);
      if (previous != null && previous != session) {
        previous.push(CONNECTED_ELSEWHERE);
        previous.close();
      }
      bus.connected(device);
    }
    return heard;
  }

  void unregister(Session session) {
    receivers.remove(session.address(), session);
    sessions.computeIfPresent(session.address(), (a, set) -> {
      set.remove(session);
      return set.isEmpty() ? null : set;
    });
    NodeBus.Listener listener = listening.remove(session);
    if (listener != null) {
      bus.stopListening(session.address(), listener);
    }
  }

  /** What other nodes say about one connection's device. */
  private final class FromOtherNodes implements NodeBus.Listener {
    private final Session session;

    FromOtherNodes(Session session) {
      this.session = session;
    }

    @Override
    public void newEnvelopes(long after) {
      if (session.get(DeviceSessions.PUMP) instanceof DeliveryPump pump) {
        pump.wake(after);
      }
    }

    @Override
    public void connectedElsewhere() {
      if (session.receivesQueue() && receivers.remove(session.address(), session)) {
        session.push(CONNECTED_ELSEWHERE);
        session.close();
        // A commit here that still saw this connection offered its envelopes to it and told no one;
        // the new connection may have read the queue before that commit: wake it once more.
        // Which positions those were is not known here: from the start.
        bus.newEnvelopes(Map.of(session.address(), 0L));
      }
    }

    @Override
    public void disconnect(Push why) {
      session.push(why);
      session.close();
    }
  }

  /** The device's receiving connection, if it has one here. */
  public Optional<Session> session(DeviceAddress device) {
    return Optional.ofNullable(receivers.get(device));
  }

  public boolean isConnected(DeviceAddress device) {
    return sessions.containsKey(device);
  }

  public Collection<DeviceAddress> connected() {
    return List.copyOf(sessions.keySet());
  }

  /**
   * Pushes envelopes not yet committed to the receiving connections of their devices here, where
   * the pump is caught up (see {@link DeliveryPump#offerEarly}); {@link #deliver} or {@link #abandon}
   * follows once the commit is settled.
   */
  public void deliverEarly(List<NewEnvelope> envelopes) {
    for (NewEnvelope envelope : envelopes) {
      Session session = receivers.get(envelope.destination());
      if (session != null && session.get(DeviceSessions.PUMP) instanceof DeliveryPump pump) {
        envelope.claim().offeredEarly(); // before the append, so the writer knows to wait for it
        pump.offerEarly(envelope);
      }
    }
  }

  /** The commit of envelopes pushed early failed: their pumps stop waiting for it. */
  public void abandon(List<NewEnvelope> envelopes) {
    for (NewEnvelope envelope : envelopes) {
      Session session = receivers.get(envelope.destination());
      if (session != null && session.get(DeviceSessions.PUMP) instanceof DeliveryPump pump) {
        pump.abandon(envelope);
      }
    }
  }

  /**
   * Hands freshly committed envelopes to the receiving connections of their devices here, and
   * wakes the nodes that hold the others.
   */
  public void deliver(List<QueuedEnvelope> envelopes) {
    // Each device's node reads on from just below the lowest position committed for it here.
    Map<DeviceAddress, Long> elsewhere = new LinkedHashMap<>();
    for (QueuedEnvelope envelope : envelopes) {
      Session session = receivers.get(envelope.destination());
      if (session != null && session.get(DeviceSessions.PUMP) instanceof DeliveryPump pump) {
        pump.offer(envelope);
      } else {
        elsewhere.merge(envelope.destination(), envelope.seq() - 1, Math::min);
      }
    }
    // A device with its receiving connection here has none elsewhere; the rest may be anywhere.
    if (!elsewhere.isEmpty()) {
      bus.newEnvelopes(elsewhere);
    }
  }

  /** Tells every connection of a device, on every node, something (why it was unlinked) and closes them. */
  public void disconnect(DeviceAddress device, Push why) {
    bus.disconnect(device, why);
    receivers.remove(device);
    Set<Session> all = sessions.remove(device);
    if (all != null) {
      for (Session session : all) {
        session.push(why);
        session.close();
      }
    }
  }

  public void push(DeviceAddress device, Push push) {
    Set<Session> all = sessions.get(device);
    if (all != null) {
      all.forEach(session -> session.push(push));
    }
  }
}
