package org.parley.server.devices;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.DeviceKind;
import org.parley.server.cluster.RedisAddress;
import org.parley.server.cluster.RedisClients;
import org.parley.server.testing.TestCluster;

/** The link-code contract on the Redis the nodes of a cluster share (a key prefix of each test's own). */
class RedisLinkCodesIT extends LinkCodesContract {
  private String address;
  /** A client per node, as each node has its own (set on the first call: the contract's initializer makes it). */
  private List<RedisClients> nodes;

  @Override
  LinkCodes newCodes(Clock clock) {
    if (address == null) {
      address = TestCluster.REDIS + "?prefix=link-it-" + UUID.randomUUID().toString().substring(0, 8);
      nodes = new ArrayList<>();
    }
    RedisClients node = RedisClients.create(RedisAddress.parse(address));
    nodes.add(node);
    return new RedisLinkCodes(node, clock);
  }

  /** Closed after every @AfterEach, the contract's that closes the codes' connections included. */
  @AutoClose private final AutoCloseable closeNodes = () -> nodes.forEach(RedisClients::close);

  @Test
  void aCodeShownViaOneNodeIsClaimedViaAnotherAndItsClaimsAreCountedOnce() throws Exception {
    try (LinkCodes otherNode = newCodes(clock)) {
      register("socket-on-a", "7KQ2", BLOB, "desk", DeviceKind.DESKTOP);
      LinkCodes.Claim first = otherNode.claim("7KQ2", "primary");
      assertThat(first.code().address()).isEqualTo("socket-on-a");
      assertThat(first.code().wrapped()).isEqualTo(BLOB);
      assertThat(first.attemptsLeft()).isEqualTo(2);
      assertThat(codes.claim("7KQ2", "primary").attemptsLeft()).isEqualTo(1);
      codes.wrong("socket-on-a");
      assertThat(otherNode.status("7KQ2", "primary")).isEqualTo(new LinkCodes.Progress(1, 1));
      assertThat(otherNode.claim("7KQ2", "primary").attemptsLeft()).isZero();
      assertThat(status(() -> codes.claim("7KQ2", "primary"))).isEqualTo(org.parley.protocol.wire.Status.LIMIT_REACHED);
      assertThat(status(() -> otherNode.claim("7KQ2", "primary"))).isEqualTo(org.parley.protocol.wire.Status.LIMIT_REACHED);

      codes.forget("socket-on-a");
      assertThat(status(() -> otherNode.claim("7KQ2", "primary"))).isEqualTo(org.parley.protocol.wire.Status.NOT_FOUND);
      assertThat(otherNode.expiresAt("socket-on-a")).isZero();
    }
  }
}
