package org.parley.server.cluster;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.parley.protocol.wire.Push;
import org.parley.server.store.DeviceAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes' bus on Redis sharded pub/sub (docs/operating.md, clustered): one channel per device, {@code
 * PREFIX:device:{ACCOUNT.DEVICE}}, published with {@code SPUBLISH} after commit; a node subscribes
 * ({@code SSUBSCRIBE}) to the channels of the devices connected to it. Redis keeps nothing: a
 * notice published while a node is not subscribed is gone, which is why every subscription, and
 * every reconnection, tells the listeners to read the store.
 *
 * <p>A notice is one line: a letter (E new envelopes, C connected, D disconnect), the sending node,
 * for E the queue position the new envelopes lie above (read from the start without one), and for D
 * the Push that says why (base64). A companion being linked waits on a provisioning
 * socket of one node, {@code PREFIX:provisioning:{ADDRESS}}; notices for it (P, the sending node,
 * base64 bytes) come from the node of its primary. SPUBLISH answers how many subscribers heard,
 * which tells that node whether anyone waits there.
 */
public final class RedisNodeBus implements NodeBus {
  private static final Logger log = LoggerFactory.getLogger(RedisNodeBus.class);

  private final String nodeId;
  private final String prefix;
  private final String provisioningPrefix;
  private final StatefulRedisConnection<String, String> publisher;
  private final StatefulRedisPubSubConnection<String, String> subscriber;
  private final Map<DeviceAddress, Set<Listener>> listeners = new ConcurrentHashMap<>();
  private final Map<String, Consumer<byte[]>> provisioningListeners = new ConcurrentHashMap<>();

  public RedisNodeBus(RedisClients redis, String nodeId) {
    this.nodeId = nodeId != null ? nodeId : UUID.randomUUID().toString().substring(0, 8);
    this.prefix = redis.address().prefix() + ":device:";
    this.provisioningPrefix = redis.address().prefix() + ":provisioning:";
    // Half-second reconnects (RedisClients): while Redis is away, devices on other nodes wait for
    // their wake-ups. Rejected notices lose nothing: the store has the envelopes, and the
    // reconnection wakes every listener.
    this.publisher = redis.connect("the node bus", Duration.ofSeconds(2));
    try {
      this.subscriber = redis.connectPubSub("the node bus", Duration.ofSeconds(2));
    } catch (RuntimeException e) {
      publisher.close();
      throw e;
    }
    subscriber.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void smessage(String channel, String message) {
            receive(channel, message);
          }
        });
    redis.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress where) {
            if (connection == subscriber) {
              resubscribe();
            }
          }
        });
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  private String channel(DeviceAddress device) {
    return prefix + "{" + device.account() + "." + device.device() + "}";
  }

  private DeviceAddress device(String channel) {
    String address = channel.substring(prefix.length() + 1, channel.length() - 1);
    int dot = address.lastIndexOf('.');
    return new DeviceAddress(UUID.fromString(address.substring(0, dot)), Integer.parseInt(address.substring(dot + 1)));
  }

  @Override
  public void newEnvelopes(Map<DeviceAddress, Long> after) {
    after.forEach((device, position) -> publish(device, "E " + nodeId + " " + position));
  }

  @Override
  public void connected(DeviceAddress device) {
    publish(device, "C " + nodeId);
  }

  @Override
  public void disconnect(DeviceAddress device, Push why) {
    publish(device, "D " + nodeId + " " + Base64.getEncoder().encodeToString(why.toByteArray()));
  }

  private void publish(DeviceAddress device, String notice) {
    publisher
        .async()
        .spublish(channel(device), notice)
        .exceptionally(
            failure -> {
              // The device's node reads the store when it reconnects to Redis or the device to it.
              log.debug("could not publish to {}: {}", device, failure.getMessage());
              return null;
            });
  }

  @Override
  public CompletableFuture<Void> listen(DeviceAddress device, Listener listener) {
    boolean[] first = {false};
    listeners.compute(device, (d, set) -> {
      if (set == null) {
        set = ConcurrentHashMap.newKeySet();
        first[0] = true;
      }
      set.add(listener);
      return set;
    });
    // Subscribing again is harmless, and it keeps the promise: once it is answered, notices come.
    return subscriber.async().ssubscribe(channel(device)).toCompletableFuture().thenApply(ok -> (Void) null);
  }

  @Override
  public void stopListening(DeviceAddress device, Listener listener) {
    boolean[] last = {false};
    listeners.computeIfPresent(device, (d, set) -> {
      set.remove(listener);
      last[0] = set.isEmpty();
      return last[0] ? null : set;
    });
    if (last[0]) {
      subscriber.async().sunsubscribe(channel(device)).exceptionally(failure -> null);
    }
  }

  private String provisioningChannel(String address) {
    return provisioningPrefix + "{" + address + "}";
  }

  @Override
  public CompletableFuture<Boolean> provisioning(String address, byte[] notice) {
    return publisher
        .async()
        .spublish(provisioningChannel(address), "P " + nodeId + " " + Base64.getEncoder().encodeToString(notice))
        .toCompletableFuture()
        .thenApply(heard -> heard != null && heard > 0);
  }

  @Override
  public CompletableFuture<Boolean> provisioningWaits(String address) {
    String channel = provisioningChannel(address);
    return publisher
        .async()
        .pubsubShardNumsub(channel)
        .toCompletableFuture()
        .thenApply(counts -> counts.getOrDefault(channel, 0L) > 0);
  }

  @Override
  public CompletableFuture<Void> listenProvisioning(String address, Consumer<byte[]> listener) {
    provisioningListeners.put(address, listener);
    return subscriber.async().ssubscribe(provisioningChannel(address)).toCompletableFuture().thenApply(ok -> (Void) null);
  }

  @Override
  public void stopListeningProvisioning(String address) {
    if (provisioningListeners.remove(address) != null) {
      subscriber.async().sunsubscribe(provisioningChannel(address)).exceptionally(failure -> null);
    }
  }

  private void receive(String channel, String message) {
    String[] parts = message.split(" ", 3);
    if (parts.length < 2 || parts[1].equals(nodeId)) {
      return;
    }
    if (channel.startsWith(provisioningPrefix)) {
      receiveProvisioning(channel, parts);
      return;
    }
    DeviceAddress device;
    try {
      device = device(channel);
    } catch (RuntimeException e) {
      log.warn("ignoring a notice on an unknown channel {}", channel);
      return;
    }
    Consumer<Listener> notice =
        switch (parts[0]) {
          case "E" -> newEnvelopes(parts.length == 3 ? parts[2] : "");
          case "C" -> Listener::connectedElsewhere;
          case "D" -> disconnect(parts.length == 3 ? parts[2] : "");
          default -> null;
        };
    Set<Listener> set = listeners.get(device);
    if (notice != null && set != null) {
      set.forEach(notice);
    }
  }

  private void receiveProvisioning(String channel, String[] parts) {
    String address = channel.substring(provisioningPrefix.length() + 1, channel.length() - 1);
    Consumer<byte[]> listener = provisioningListeners.get(address);
    if (listener == null || parts.length != 3 || !parts[0].equals("P")) {
      return;
    }
    try {
      listener.accept(Base64.getDecoder().decode(parts[2]));
    } catch (IllegalArgumentException e) {
      log.warn("ignoring a malformed provisioning notice");
    }
  }

  private static Consumer<Listener> newEnvelopes(String after) {
    long position;
    try {
      position = Long.parseLong(after);
    } catch (NumberFormatException e) {
      position = 0; // a notice without a position (a node of an older version): read everything again
    }
    long from = position;
    return listener -> listener.newEnvelopes(from);
  }

  private static Consumer<Listener> disconnect(String encoded) {
    try {
      Push why = Push.parseFrom(Base64.getDecoder().decode(encoded));
      return listener -> listener.disconnect(why);
    } catch (IllegalArgumentException | com.google.protobuf.InvalidProtocolBufferException e) {
      log.warn("ignoring a malformed disconnect notice");
      return null;
    }
  }

  /**
   * Back after losing Redis: notices sent meanwhile are gone. Subscribe to every channel again (Lettuce
   * does too; twice is harmless), then have every listener read the store.
   */
  private void resubscribe() {
    List<DeviceAddress> devices = List.copyOf(listeners.keySet());
    List<String> waiting = List.copyOf(provisioningListeners.keySet());
    if (devices.isEmpty() && waiting.isEmpty()) {
      return;
    }
    log.info("reconnected to Redis; listening again for {} devices and reading their queues", devices.size());
    String[] channels =
        java.util.stream.Stream.concat(devices.stream().map(this::channel), waiting.stream().map(this::provisioningChannel))
            .toArray(String[]::new);
    subscriber
        .async()
        .ssubscribe(channels)
        .whenComplete(
            (ok, failure) -> {
              if (failure != null) {
                log.warn("could not listen again after reconnecting to Redis: {}", failure.getMessage());
              }
              for (DeviceAddress device : devices) {
                Set<Listener> set = listeners.get(device);
                if (set != null) {
                  set.forEach(listener -> listener.newEnvelopes(0));
                }
              }
            });
  }

  @Override
  public void check() {
    publisher.sync().ping();
  }

  @Override
  public void close() {
    subscriber.close();
    publisher.close();
  }
}
