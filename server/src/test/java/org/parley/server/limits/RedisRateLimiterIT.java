package org.parley.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.parley.server.cluster.RedisAddress;
import org.parley.server.cluster.RedisClients;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestCluster;

/** The rate-limit contract on the buckets the nodes of a cluster share in Redis (a key prefix of each test's own). */
class RedisRateLimiterIT extends RateLimiterContract {
  private String address;
  /** Closed after every @AfterEach, the contract's that closes the limiters' connections included. */
  @AutoClose private RedisClients redis;

  @Override
  RateLimiter newLimiter(MutableClock clock) {
    address = TestCluster.REDIS + "?prefix=rate-it-" + UUID.randomUUID().toString().substring(0, 8);
    redis = RedisClients.create(RedisAddress.parse(address));
    return new RedisRateLimiter(redis, clock);
  }

  @Override
  RateLimiter newLimiter(MutableClock clock, int maxKeys) {
    return new RedisRateLimiter(redis, clock, maxKeys);
  }

  /** The back-off state keys in Redis under this test's prefix. */
  @Override
  long backoffKeys(RateLimiter limiter) {
    try (var connection = redis.connect("the test", Duration.ofSeconds(5))) {
      long count = 0;
      ScanArgs states = ScanArgs.Builder.matches(RedisAddress.parse(address).prefix() + ":backoff:*").limit(1000);
      KeyScanCursor<String> cursor = connection.sync().scan(states);
      count += cursor.getKeys().size();
      while (!cursor.isFinished()) {
        cursor = connection.sync().scan(cursor, states);
        count += cursor.getKeys().size();
      }
      return count;
    }
  }

  @Test
  void twoNodesTakeFromTheSameBucket() {
    try (RedisClients otherClient = RedisClients.create(RedisAddress.parse(address));
        RedisRateLimiter otherNode = new RedisRateLimiter(otherClient, clock)) {
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
