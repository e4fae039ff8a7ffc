package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Status;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.Scrape;
import org.parley.server.testing.TestCluster;
import org.parley.server.testing.TestDevice;

/**
 * What one node tells another about a device's connections (docs/operating.md, clustered), on two clustered nodes
 * in this JVM: a device has one receiving connection in the whole cluster, a device unlinked
 * through one node is told so on the node that holds its connection, and envelopes committed on one
 * node are read by the device's node from where they were committed, not from the queue's start.
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

  @Test
  void eachWakeFromAnotherNodeReadsOnlyWhatThatNodeCommitted() {
    int sends = 20;
    TestDevice alice = TestDevice.registerPrimary(cluster.node(1), "+15550180003");
    TestDevice bob = TestDevice.registerPrimary(cluster.node(0), "+15550180004");
    try (RawClient receiver = bob.connect(cluster.node(0));
        RawClient sender = alice.connect(cluster.node(1))) {
      awaitPush(receiver, Push.BodyCase.QUEUE_EMPTY); // node 0 now hears node 1's wakes
      double readBefore = Scrape.value(Scrape.of(cluster.node(0)), "parley_envelopes_read_total");

      // Bob acks nothing: every envelope stays in his queue, in flight, while the next one comes.
      Set<ByteString> pushed = new LinkedHashSet<>();
      for (int i = 0; i < sends; i++) {
        assertThat(sender.call(bob.opaqueMessage()).getStatus()).isEqualTo(Status.OK);
        pushed.add(awaitPush(receiver, Push.BodyCase.ENVELOPE).getEnvelope().getGuid());
      }

      assertThat(pushed).as("each envelope pushed once").hasSize(sends);
      double read = Scrape.value(Scrape.of(cluster.node(0)), "parley_envelopes_read_total") - readBefore;
      // Reading the queue from its start at each wake reads 1 + 2 + ... + 20 = 210.
      assertThat(read).as("envelopes node 0 read from Bob's queue").isEqualTo(sends);
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
