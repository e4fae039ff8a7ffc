package org.parley.server.messages;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.wire.ConnectedElsewhere;
import org.parley.protocol.wire.Push;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.transport.Session;

/**
 * Which device is connected where, in this process. One live connection per device: a newer one
 * replaces the older, which is told and closed.
 */
public final class Presence {
  private final Map<DeviceAddress, Session> sessions = new ConcurrentHashMap<>();

  void register(Session session) {
    Session previous = sessions.put(session.address(), session);
    if (previous != null && previous != session) {
      previous.push(Push.newBuilder().setConnectedElsewhere(ConnectedElsewhere.getDefaultInstance()).build());
      previous.close();
    }
  }

  void unregister(Session session) {
    sessions.remove(session.address(), session);
  }

  public Optional<Session> session(DeviceAddress device) {
    return Optional.ofNullable(sessions.get(device));
  }

  public Collection<DeviceAddress> connected() {
    return List.copyOf(sessions.keySet());
  }

  /** Hands freshly committed envelopes to the connections of their devices, if any. */
  public void deliver(List<QueuedEnvelope> envelopes) {
    for (QueuedEnvelope envelope : envelopes) {
      Session session = sessions.get(envelope.destination());
      if (session != null && session.attachment() instanceof DeliveryPump pump) {
        pump.offer(envelope);
      }
    }
  }

  /** Tells a connected device something (why it was unlinked) and closes its connection. */
  public void disconnect(DeviceAddress device, Push why) {
    Session session = sessions.remove(device);
    if (session != null) {
      session.push(why);
      session.close();
    }
  }

  public void push(DeviceAddress device, Push push) {
    Session session = sessions.get(device);
    if (session != null) {
      session.push(push);
    }
  }
}
