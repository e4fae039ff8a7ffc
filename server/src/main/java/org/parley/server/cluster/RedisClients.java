package org.parley.server.cluster;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One Lettuce client with its own small thread pools, as the node bus and the rate limiter each
 * want it: reconnect every half second (not after Lettuce's default backoff of up to 30 s), and
 * while Redis is away reject commands at once instead of queueing them without bound.
 */
public record RedisClients(ClientResources resources, RedisClient client) {

  /** A client for {@code address}, not yet connected; {@code timeout} bounds each command. */
  public static RedisClients create(RedisAddress address, int threads, Duration timeout) {
    ClientResources resources =
        ClientResources.builder()
            .ioThreadPoolSize(threads)
            .computationThreadPoolSize(threads)
            .reconnectDelay(Delay.constant(Duration.ofMillis(500)))
            .build();
    RedisClient client = RedisClient.create(resources, RedisURI.create(address.uri()));
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .build());
    return new RedisClients(resources, client);
  }

  /** Frees the client after a failed first connection. */
  public void abandon() {
    client.shutdown();
    resources.shutdown();
  }

  /** Closes the client and its threads, waiting at most two seconds for each. */
  public void close() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
