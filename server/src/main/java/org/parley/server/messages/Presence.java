package org.parley.server.messages;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.wire.ConnectedElsewhere;
import org.parley.protocol.wire.Push;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.transport.Session;

/**
 * Which devices are connected to this process. A device has at most one receiving connection (its
 * queue flows there; a newer one replaces the older, which is told and closed) and any number of
 * others (one-off sends), which still hear about unlinks and pre-key shortages.
 */
public final class Presence {
  private final Map<DeviceAddress, Session> receivers = new ConcurrentHashMap<>();
  private final Map<DeviceAddress, Set<Session>> sessions = new ConcurrentHashMap<>();

  void register(Session session) {
    sessions.computeIfAbsent(session.address(), a -> ConcurrentHashMap.newKeySet()).add(session);
    if (!session.receivesQueue()) {
      return;
    }
    Session previous = receivers.put(session.address(), session);
    if (previous != null && previous != session) {
      previous.push(Push.newBuilder().setConnectedElsewhere(ConnectedElsewhere.getDefaultInstance()).build());
      previous.close();
    }
  }

  void unregister(Session session) {
    receivers.remove(session.address(), session);
    sessions.computeIfPresent(session.address(), (a, set) -> {
      set.remove(session);
      return set.isEmpty() ? null : set;
    });
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

  /** Hands freshly committed envelopes to the receiving connections of their devices, if any. */
  public void deliver(List<QueuedEnvelope> envelopes) {
    for (QueuedEnvelope envelope : envelopes) {
      Session session = receivers.get(envelope.destination());
      if (session != null && session.attachment() instanceof DeliveryPump pump) {
        pump.offer(envelope);
      }
    }
  }

  /** Tells every connection of a device something (why it was unlinked) and closes them. */
  public void disconnect(DeviceAddress device, Push why) {
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
