package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestCluster;
import org.parley.server.testing.TestDevice;

/**
 * What one node tells another about a device's connections (docs/operating.md, clustered), on two clustered nodes
 * in this JVM: a device has one receiving connection in the whole cluster, and a device unlinked
 * through one node is told so on the node that holds its connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusteredPresenceIT {
  TestCluster cluster;

  @BeforeAll
  void start(@TempDir Path dir) {
    cluster = TestCluster.start(dir, 2);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aConnectionOnAnotherNodeClosesTheOlderOne() {
    TestDevice alice = TestDevice.registerPrimary(cluster.node(0), "+15550180001");
    try (RawClient older = alice.connect(cluster.node(0))) {
      awaitPush(older, Push.BodyCase.QUEUE_EMPTY); // its node now hears the others
      try (RawClient newer = alice.connect(cluster.node(1))) {
        // (The server closes the older one with the push; the JDK's WebSocket client does not
        // always report a close without a close frame, so only the push is checked.)
        awaitPush(older, Push.BodyCase.CONNECTED_ELSEWHERE);
        awaitPush(newer, Push.BodyCase.QUEUE_EMPTY);
        assertThat(newer.isOpen()).as("the newer connection stays").isTrue();
      }
    }
  }

  @Test
  void aDeviceUnlinkedThroughOneNodeIsToldOnTheNodeOfItsConnection() {
    TestDevice lost = TestDevice.registerPrimary(cluster.node(1), "+15550180002");
    try (RawClient connection = lost.connect(cluster.node(1))) {
      awaitPush(connection, Push.BodyCase.QUEUE_EMPTY);
      TestDevice.registerPrimary(cluster.node(0), "+15550180002");

      Push told = awaitPush(connection, Push.BodyCase.UNLINKED);
      assertThat(told.getUnlinked().getReason()).isEqualTo(UnlinkReason.REREGISTERED);
    }
  }

  /** The next push of this kind, skipping others (pre-key top-ups); fails after RawClient's timeout. */
  private static Push awaitPush(RawClient client, Push.BodyCase kind) {
    for (int i = 0; i < 20; i++) {
      Push push = client.nextPush();
      if (push.getBodyCase() == kind) {
        return push;
      }
    }
    throw new AssertionError("no " + kind + " push among the next 20");
  }
}
