package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.BlobKind;
import org.parley.protocol.wire.CreateBlobUpload;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;

/**
 * Issue 11, quotas on blobs: one account reserves upload slots as fast as it can. It gets only so
 * many blobs and so many bytes at once (a reservation is what an upload may fill, so this bounds
 * the disk it can take); and when the disk is nearly full nobody gets a new upload, while the relay
 * goes on carrying messages. Other accounts upload and message as usual during and after.
 */
class BlobQuotaAbuseIT {
  private static final int MAX_BLOBS = 5;
  private static final long MAX_BYTES = 3L << 20;

  @TempDir Path dir;

  @Test
  void anAccountHoldsAtMostItsBlobCountAndBytesAndNobodyUploadsOntoANearlyFullDisk() throws Exception {
    try (ServerProcess server =
        ServerProcess.start(
            dir.resolve("server"),
            "--blob-max-account-blobs", Integer.toString(MAX_BLOBS),
            "--blob-max-account-bytes", Long.toString(MAX_BYTES))) {
      TestDevice attacker = Stranger.register(server, "+15550170001");
      TestDevice alice = Stranger.register(server, "+15550170002");
      TestDevice bob = Stranger.register(server, "+15550170003");
      try (RawClient flood = Stranger.connect(server, attacker);
          RawClient aliceDevice = Stranger.connect(server, alice);
          RawClient bobDevice = Stranger.connect(server, bob)) {
        // Count: small slots until refused.
        int reserved = 0;
        Response refused = null;
        for (int i = 0; i < 3 * MAX_BLOBS && refused == null; i++) {
          Response slot = flood.call(reserve(1000));
          if (slot.getStatus() == Status.OK) {
            reserved++;
          } else {
            refused = slot;
          }
        }
        assertThat(reserved).as("blobs one account holds at once").isEqualTo(MAX_BLOBS);
        assertThat(refused.getStatus()).isEqualTo(Status.LIMIT_REACHED);
        assertThat(refused.getMessage()).contains("at most " + MAX_BLOBS).contains("once they have been fetched or have expired; try again in 15 min");
        assertThat(refused.getRetryAfterMs()).as("when to try again").isEqualTo(15 * 60_000L);

        // Alice is untouched: she reserves, and reaches Bob during the attack.
        assertThat(aliceDevice.call(reserve(1000)).getStatus()).isEqualTo(Status.OK);
        assertThat(aliceDevice.call(Stranger.message(bob, 100)).getStatus()).isEqualTo(Status.OK);
        Stranger.awaitEnvelope(bobDevice, "alice's message during the blob flood");

        // Bytes: Bob's account may hold 3 MiB; one slot of 2 MiB passes, a second does not.
        assertThat(bobDevice.call(reserve(2L << 20)).getStatus()).isEqualTo(Status.OK);
        Response tooMuch = bobDevice.call(reserve(2L << 20));
        assertThat(tooMuch.getStatus()).isEqualTo(Status.LIMIT_REACHED);
        assertThat(tooMuch.getMessage()).contains("may have at most 3.0 MiB").contains("try again in 15 min");
        assertThat(tooMuch.getRetryAfterMs()).as("when to try again").isEqualTo(15 * 60_000L);
        assertThat(bobDevice.call(reserve(512L << 10)).getStatus()).as("within what is left").isEqualTo(Status.OK);

        // After: Alice and Bob still talk.
        assertThat(bobDevice.call(Stranger.message(alice, 100)).getStatus()).isEqualTo(Status.OK);
        Stranger.awaitEnvelope(aliceDevice, "bob's message after the blob flood");
      }
    }

    // A disk nearly full: keep free more than this disk has. No new upload for anyone; the relay
    // still carries messages.
    long total = Files.getFileStore(dir).getTotalSpace();
    try (ServerProcess server =
        ServerProcess.start(dir.resolve("full"), "--blob-min-free-disk", Long.toString(total))) {
      TestDevice alice = Stranger.register(server, "+15550170011");
      TestDevice bob = Stranger.register(server, "+15550170012");
      try (RawClient aliceDevice = Stranger.connect(server, alice);
          RawClient bobDevice = Stranger.connect(server, bob)) {
        Response full = aliceDevice.call(reserve(1000));
        assertThat(full.getStatus()).isEqualTo(Status.STORAGE_FULL);
        assertThat(full.getMessage()).contains("disk is nearly full").contains("try again");
        assertThat(full.getRetryAfterMs()).as("when to try again").isPositive();
        assertThat(aliceDevice.call(Stranger.message(bob, 100)).getStatus()).isEqualTo(Status.OK);
        Stranger.awaitEnvelope(bobDevice, "a message while the disk is nearly full");
      }
    }
  }

  private static Request.Builder reserve(long size) {
    return Request.newBuilder()
        .setCreateBlobUpload(CreateBlobUpload.newBuilder().setSize(size).setKind(BlobKind.BLOB_KIND_ATTACHMENT));
  }
}
