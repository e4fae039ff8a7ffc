package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Status;
import org.parley.server.cluster.RedisAddress;
import org.parley.server.cluster.RedisClients;
import org.parley.server.devices.LinkCodes;
import org.parley.server.devices.RedisLinkCodes;
import org.parley.server.transport.ApiException;

/**
 * A cluster's link codes while its Redis is away (a private Redis, killed and restarted): showing
 * or claiming a code is refused as UNAVAILABLE with a wait, never answered wrongly, and works again
 * once Redis is back (which has forgotten the scripts and the codes: the new device shows a new one).
 */
class LinkCodesOutageIT {
  private static final ByteString BLOB = ByteString.copyFrom(new byte[64]);

  @Test
  void withoutRedisCodesAreRefusedWithAWaitAndWorkAgainOnceItIsBack() throws Exception {
    try (PrivateServices.Redis redis = new PrivateServices.Redis();
        RedisClients node = RedisClients.create(RedisAddress.parse(redis.url()));
        LinkCodes codes = new RedisLinkCodes(node, Clock.systemUTC())) {
      codes.register("socket-1", "198.51.100.1", "7KQ2", BLOB, "laptop", DeviceKind.DESKTOP);
      assertThat(codes.claim("7KQ2", "primary").attemptsLeft()).isEqualTo(2);

      redis.kill();
      ApiException showing = catchThrowableOfType(ApiException.class,
          () -> codes.register("socket-2", "198.51.100.2", "8KQ2", BLOB, "tablet", DeviceKind.DESKTOP));
      assertThat(showing.status()).isEqualTo(Status.UNAVAILABLE);
      assertThat(showing.getMessage()).contains("cannot reach its other nodes").endsWith("try again in 5 s");
      ApiException claiming = catchThrowableOfType(ApiException.class, () -> codes.claim("7KQ2", "primary"));
      assertThat(claiming.status()).isEqualTo(Status.UNAVAILABLE);
      assertThat(codes.expiresAt("socket-1")).as("the socket is let go, not held while Redis is away").isZero();

      redis.start();
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
          codes.register("socket-2", "198.51.100.2", "8KQ2", BLOB, "tablet", DeviceKind.DESKTOP) != null);
      assertThat(codes.claim("8KQ2", "primary").code().name()).isEqualTo("tablet");
    }
  }
}
