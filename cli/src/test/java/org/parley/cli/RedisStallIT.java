package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Status;
import org.parley.server.cluster.RedisAddress;
import org.parley.server.cluster.RedisClients;
import org.parley.server.devices.LinkCodes;
import org.parley.server.devices.RedisLinkCodes;
import org.parley.server.limits.Rate;
import org.parley.server.limits.RedisRateLimiter;
import org.parley.server.transport.ApiException;

/**
 * A node's Redis that hangs (a private Redis, SIGSTOPped: its connections stay open and nothing
 * comes back). The rate limits and the link codes share the node's one Redis client, and each
 * still gives up after its own half second: the limits fall back to the node's own buckets, a link
 * code is refused with a wait. Neither waits on Redis for Lettuce's default minute (the timeout
 * below is that bound, not a measurement).
 */
class RedisStallIT {
  private static final Rate ONE_PER_HOUR = Rate.of("stall", 1, 1, Duration.ofHours(1));

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void eachUserOfTheSharedClientGivesUpAfterItsOwnTimeout() throws Exception {
    try (PrivateServices.Redis redis = new PrivateServices.Redis();
        RedisClients node = RedisClients.create(RedisAddress.parse(redis.url()));
        RedisRateLimiter limits = new RedisRateLimiter(node, Clock.systemUTC());
        LinkCodes codes = new RedisLinkCodes(node, Clock.systemUTC())) {
      assertThat(limits.take(ONE_PER_HOUR, "k").allowed()).as("Redis's bucket, now empty").isTrue();

      redis.freeze();
      try {
        assertThat(limits.take(ONE_PER_HOUR, "k").allowed()).as("the node's own bucket, still full").isTrue();
        ApiException showing = catchThrowableOfType(ApiException.class,
            () -> codes.register("socket-1", "198.51.100.1", "7KQ2", ByteString.copyFrom(new byte[64]), "laptop",
                DeviceKind.DESKTOP));
        assertThat(showing.status()).isEqualTo(Status.UNAVAILABLE);
      } finally {
        redis.thaw();
      }
    }
  }
}
