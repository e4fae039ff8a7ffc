package org.parley.server.cluster;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.parley.protocol.wire.Push;
import org.parley.server.store.DeviceAddress;

/**
 * What one relay node tells the others (docs/operating.md, clustered). The store holds the truth; a notice only
 * says "look now", so a lost notice costs a delay, never a message: starting to listen, and every
 * reconnection of the bus itself, tells each listener to read the store.
 *
 * <p>A node hears notices about the devices it has connections for. It never hears its own:
 * whatever happens on a node it handles locally before publishing.
 */
public interface NodeBus extends AutoCloseable {
  /** This node's name, carried by its notices. */
  String nodeId();

  /**
   * After commit: envelopes wait in the store for these devices, each at queue positions above the
   * one given (the lowest committed minus one; 0 to have the device's node read its whole queue).
   */
  void newEnvelopes(Map<DeviceAddress, Long> after);

  /** This node now holds the device's receiving connection: an older one on another node must close. */
  void connected(DeviceAddress device);

  /** The device was unlinked (or its number registered again): every node tells its connections why and closes them. */
  void disconnect(DeviceAddress device, Push why);

  /**
   * Starts hearing the device's notices. Completes once a notice published from then on will be
   * heard, so a read of the store after it misses nothing; completes exceptionally when the bus
   * is unreachable (the listener then hears {@link Listener#newEnvelopes} when it is back).
   */
  CompletableFuture<Void> listen(DeviceAddress device, Listener listener);

  void stopListening(DeviceAddress device, Listener listener);

  /**
   * Hands a notice to the provisioning socket waiting at {@code address} on another node: a
   * companion being linked while its primary is connected elsewhere. Completes with whether a node
   * heard it, exceptionally when the bus is unreachable.
   */
  CompletableFuture<Boolean> provisioning(String address, byte[] notice);

  /** Whether another node holds the provisioning socket at {@code address}. */
  CompletableFuture<Boolean> provisioningWaits(String address);

  /**
   * Starts hearing the notices for a provisioning socket held here (called on the bus's threads);
   * completes once a notice published from then on will be heard.
   */
  CompletableFuture<Void> listenProvisioning(String address, Consumer<byte[]> listener);

  void stopListeningProvisioning(String address);

  /** Returns when the bus works, throws when it does not (the readiness check of a clustered node). */
  default void check() throws Exception {}

  /** What a connection hears about its device from other nodes. Called on the bus's threads: hand work off. */
  interface Listener {
    /**
     * Something new may wait in the store at positions above {@code after} (0: anywhere), perhaps
     * below the last position pushed (positions committed on different nodes come in any order).
     */
    void newEnvelopes(long after);

    /** The device connected to another node: a receiving connection here must close. */
    void connectedElsewhere();

    /** Tell the device why and close. */
    void disconnect(Push why);
  }

  @Override
  void close();
}
