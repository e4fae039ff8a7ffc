package org.parley.server.cluster;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.parley.protocol.wire.Push;
import org.parley.server.store.DeviceAddress;

/**
 * The bus within one process: the embedded server's (one node, so nobody to tell), and for tests
 * several nodes in one JVM sharing one {@link Hub}. Notices are handed over synchronously.
 */
public final class InProcessNodeBus implements NodeBus {
  /** Where the nodes of one process meet. */
  public static final class Hub {
    private final Map<DeviceAddress, Set<Registration>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Provisioning> provisioning = new ConcurrentHashMap<>();

    private record Registration(String node, Listener listener) {}

    private record Provisioning(String node, Consumer<byte[]> listener) {}

    /** The socket's listener when it is on another node than {@code from}, else null. */
    private Consumer<byte[]> provisioning(String from, String address) {
      Provisioning p = provisioning.get(address);
      return p == null || p.node().equals(from) ? null : p.listener();
    }

    void add(String node, DeviceAddress device, Listener listener) {
      listeners.computeIfAbsent(device, d -> ConcurrentHashMap.newKeySet()).add(new Registration(node, listener));
    }

    void remove(String node, DeviceAddress device, Listener listener) {
      listeners.computeIfPresent(device, (d, set) -> {
        set.remove(new Registration(node, listener));
        return set.isEmpty() ? null : set;
      });
    }

    void tell(String from, DeviceAddress device, Consumer<Listener> notice) {
      Set<Registration> set = listeners.get(device);
      if (set != null) {
        for (Registration r : set) {
          if (!r.node().equals(from)) {
            notice.accept(r.listener());
          }
        }
      }
    }
  }

  private final Hub hub;
  private final String nodeId;

  /** A node alone in its process. */
  public InProcessNodeBus() {
    this(new Hub(), UUID.randomUUID().toString());
  }

  public InProcessNodeBus(Hub hub, String nodeId) {
    this.hub = hub;
    this.nodeId = nodeId;
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public void newEnvelopes(Map<DeviceAddress, Long> after) {
    after.forEach((device, position) -> hub.tell(nodeId, device, listener -> listener.newEnvelopes(position)));
  }

  @Override
  public void connected(DeviceAddress device) {
    hub.tell(nodeId, device, Listener::connectedElsewhere);
  }

  @Override
  public void disconnect(DeviceAddress device, Push why) {
    hub.tell(nodeId, device, listener -> listener.disconnect(why));
  }

  @Override
  public CompletableFuture<Void> listen(DeviceAddress device, Listener listener) {
    hub.add(nodeId, device, listener);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void stopListening(DeviceAddress device, Listener listener) {
    hub.remove(nodeId, device, listener);
  }

  @Override
  public CompletableFuture<Boolean> provisioning(String address, byte[] notice) {
    Consumer<byte[]> listener = hub.provisioning(nodeId, address);
    if (listener != null) {
      listener.accept(notice);
    }
    return CompletableFuture.completedFuture(listener != null);
  }

  @Override
  public CompletableFuture<Boolean> provisioningWaits(String address) {
    return CompletableFuture.completedFuture(hub.provisioning(nodeId, address) != null);
  }

  @Override
  public CompletableFuture<Void> listenProvisioning(String address, Consumer<byte[]> listener) {
    hub.provisioning.put(address, new Hub.Provisioning(nodeId, listener));
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public void stopListeningProvisioning(String address) {
    hub.provisioning.computeIfPresent(address, (a, p) -> p.node().equals(nodeId) ? null : p);
  }

  @Override
  public void close() {}
}
