package org.parley.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.server.cluster.RedisAddress;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestCluster;

/** The rate-limit contract on the buckets the nodes of a cluster share in Redis (a key prefix of each test's own). */
class RedisRateLimiterIT extends RateLimiterContract {
  private String address;

  @Override
  RateLimiter newLimiter(MutableClock clock) {
    address = TestCluster.REDIS + "?prefix=rate-it-" + UUID.randomUUID().toString().substring(0, 8);
    return new RedisRateLimiter(RedisAddress.parse(address), clock);
  }

  @Test
  void twoNodesTakeFromTheSameBucket() {
    try (RedisRateLimiter otherNode = new RedisRateLimiter(RedisAddress.parse(address), clock)) {
      assertThat(limiter.take(THREE_PER_10S, "+15550100123").allowed()).isTrue();
      assertThat(otherNode.take(THREE_PER_10S, "+15550100123").allowed()).isTrue();
      assertThat(limiter.take(THREE_PER_10S, "+15550100123").allowed()).isTrue();

      assertThat(otherNode.take(THREE_PER_10S, "+15550100123").allowed())
          .as("the fourth, on either node, is refused")
          .isFalse();
    }
  }

  /** A restarted Redis has forgotten the script (and the buckets); takes go on. */
  @Test
  void aRedisThatForgotTheScriptIsGivenItAgain() {
    limiter.take(THREE_PER_10S, "k");
    RedisClient client = RedisClient.create(RedisAddress.parse(address).uri());
    try (var connection = client.connect()) {
      connection.sync().scriptFlush();
    } finally {
      client.shutdown();
    }

    assertThat(takeAll("k")).isEqualTo(2);
  }
}
