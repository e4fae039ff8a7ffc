package org.parley.server.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one Lettuce client of a clustered node, shared by the node bus, the rate limits and the link
 * codes: one small pool of threads for all of them. It reconnects every half second (not after
 * Lettuce's default backoff of up to 30 s), and while Redis is away it rejects commands at once
 * instead of queueing them without bound.
 *
 * <p>Each user opens connections of its own on it. The bus's subscriber must: a connection that
 * subscribed takes no other commands. The rest could share one, but a Lettuce connection has one
 * command timeout, and theirs differ (a request waits at most half a second for a rate limit or a
 * link code; the bus's publishes and readiness check allow longer); and what one pipelines would
 * queue behind the other's slow answers.
 */
public final class RedisClients implements AutoCloseable {
  private final RedisAddress address;
  private final ClientResources resources;
  private final RedisClient client;

  private RedisClients(RedisAddress address, ClientResources resources, RedisClient client) {
    this.address = address;
    this.resources = resources;
    this.client = client;
  }

  /** A client for {@code address}, not yet connected. */
  public static RedisClients create(RedisAddress address) {
    ClientResources resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(Delay.constant(Duration.ofMillis(500)))
            .build();
    RedisClient client = RedisClient.create(resources, RedisURI.create(address.uri()));
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            // Each command times out after its connection's timeout (set at connect below).
            .timeoutOptions(TimeoutOptions.enabled())
            .build());
    return new RedisClients(address, resources, client);
  }

  public RedisAddress address() {
    return address;
  }

  /** A connection whose commands wait at most {@code timeout}; {@code purpose} names it in the error when Redis is not there. */
  public StatefulRedisConnection<String, String> connect(String purpose, Duration timeout) {
    return withTimeout(purpose, timeout, client::connect);
  }

  /** A connection for (sharded) subscriptions, whose commands wait at most {@code timeout}. */
  public StatefulRedisPubSubConnection<String, String> connectPubSub(String purpose, Duration timeout) {
    return withTimeout(purpose, timeout, client::connectPubSub);
  }

  /** Hears every connection of this client come and go (each listener picks out its own). */
  public void addListener(RedisConnectionStateListener listener) {
    client.addListener(listener);
  }

  private <C extends StatefulConnection<String, String>> C withTimeout(String purpose, Duration timeout, Supplier<C> connect) {
    C connection;
    try {
      connection = connect.get();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot connect to Redis at " + address.uri() + " for " + purpose + " (" + e.getMessage() + "); is it running?", e);
    }
    connection.setTimeout(timeout);
    return connection;
  }

  /** Closes the client and its threads, waiting at most two seconds for each; close its connections first. */
  @Override
  public void close() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
