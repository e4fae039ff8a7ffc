package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.attachments.AttachmentUploader.Outgoing;
import org.parley.client.events.AttachmentEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.store.AttachmentStore;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * A receiving device killed (SIGKILL, its own process) right after a verified attachment was renamed
 * into {@code attachments/} and before its row said so: opened again, it shows that attachment as
 * fetched from that very file, leaves no second copy and no file that no row names.
 */
@WithTestServer
class AttachmentCrashIT {
  static final String ALICE = "+15550001501";
  static final String BOB = "+15550001502";
  /** What the receiving process prints once the file has its name in attachments/, before it is killed. */
  static final String RENAMED = "renamed into attachments/";

  @TempDir Path dir;

  @Test
  void killedBetweenTheRenameAndTheRowItTakesThatFileAndLeavesNoOrphan(TestServer server) throws Exception {
    Path file = dir.resolve("report.bin");
    byte[] bytes = new byte[300_000];
    new Random(7).nextBytes(bytes);
    Files.write(file, bytes);
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      register(server, dir.resolve("bob"), BOB).close();
      alice.send(BOB, null, "the report", List.of(Outgoing.of(file)));
    }
    Path bob = dir.resolve("bob");

    try (ChildJvm receiver = ChildJvm.start(Receiver.class, bob.toString())) {
      assertThat(receiver.awaitLine(RENAMED, Duration.ofSeconds(90)))
          .as("the receiver reached the rename: %s", receiver.output()).isTrue();
    } // closing kills it with SIGKILL: no shutdown hook, nothing closed
    List<Path> before = stored(bob);
    assertThat(before).as("the renamed file, which no row records as fetched yet").hasSize(1);

    try (Device again = Device.open(bob, ClientConfig.defaults())) {
      List<AttachmentEvent> events =
          receive(again).stream().filter(AttachmentEvent.class::isInstance).map(AttachmentEvent.class::cast).toList();
      assertThat(events).extracting(AttachmentEvent::status).containsExactly(AttachmentStore.FETCHED);
      assertThat(Path.of(events.get(0).path())).isEqualTo(before.get(0).toAbsolutePath());
      assertThat(Files.readAllBytes(Path.of(events.get(0).path()))).isEqualTo(bytes);
      assertThat(stored(bob)).as("no second copy, no orphan").containsExactlyElementsOf(before);
      MessageEvent inHistory = again.history(ALICE, null, 10).getLast();
      assertThat(inHistory.attachments()).singleElement().satisfies(a -> {
        assertThat(a.status()).isEqualTo(AttachmentStore.FETCHED);
        assertThat(Path.of(a.path())).isEqualTo(before.get(0).toAbsolutePath());
      });
    }
  }

  /**
   * The sender's own copy is placed as a fetched file is: a sender killed once its copy was renamed
   * into {@code attachments/} but before its row said fetched, or (the same, with the copy moved back)
   * before the rename, takes that very copy when opened again: no download, no second copy, no file
   * that no row names, nothing left in {@code incoming/}.
   */
  @Test
  void aSenderKilledWhileItsOwnCopyWasPlacedTakesThatCopyAndLeavesNoOrphan(TestServer server) throws Exception {
    Path file = dir.resolve("report.bin");
    byte[] bytes = new byte[300_000];
    new Random(8).nextBytes(bytes);
    Files.write(file, bytes);
    register(server, dir.resolve("alice"), ALICE).close();
    register(server, dir.resolve("bob"), BOB).close();
    Path alice = dir.resolve("alice");

    try (ChildJvm sender = ChildJvm.start(Sender.class, alice.toString(), file.toString())) {
      assertThat(sender.awaitLine(RENAMED, Duration.ofSeconds(90)))
          .as("the sender reached its own copy's rename: %s", sender.output()).isTrue();
    }
    List<Path> placed = stored(alice);
    assertThat(placed).as("the renamed own copy, which no row records as fetched yet").hasSize(1);
    // as if killed a step earlier, before the rename: the copy (fsynced) still in incoming/, its row naming it
    Path incoming = alice.resolve(AttachmentStore.INCOMING);
    Files.move(placed.get(0), incoming.resolve(placed.get(0).getFileName()));

    try (Device again = Device.open(alice, ClientConfig.defaults())) {
      List<AttachmentEvent> events =
          receive(again).stream().filter(AttachmentEvent.class::isInstance).map(AttachmentEvent.class::cast).toList();
      assertThat(events).extracting(AttachmentEvent::status).containsExactly(AttachmentStore.FETCHED);
      assertThat(Path.of(events.get(0).path())).as("that copy, not a download").isEqualTo(placed.get(0).toAbsolutePath());
      assertThat(Files.readAllBytes(placed.get(0))).isEqualTo(bytes);
      assertThat(stored(alice)).as("no second copy, no orphan").containsExactlyElementsOf(placed);
      try (Stream<Path> left = Files.list(incoming)) {
        assertThat(left).as("nothing left in incoming/").isEmpty();
      }
    }
  }

  private static List<Path> stored(Path profile) throws Exception {
    try (Stream<Path> files = Files.list(profile.resolve(AttachmentStore.DIRECTORY))) {
      return files.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** The sending device, in its own process: stops for good right after its own copy's rename, to be killed there. */
  public static final class Sender {
    public static void main(String[] args) throws Exception {
      Device alice = openBlockingAfterRename(Path.of(args[0]));
      alice.send(BOB, null, "the report", List.of(Outgoing.of(Path.of(args[1]))));
    }
  }

  /** The receiving device, in its own process: stops for good right after the rename, to be killed there. */
  public static final class Receiver {
    public static void main(String[] args) throws Exception {
      Device bob = openBlockingAfterRename(Path.of(args[0]));
      bob.receive(Duration.ofSeconds(60), e -> {});
    }
  }

  /** A child's device that says {@link #RENAMED} right after a file's rename into attachments/, then waits there for ever. */
  static Device openBlockingAfterRename(Path profile) {
    Device device = Device.open(profile, ClientConfig.defaults());
    CountDownLatch never = new CountDownLatch(1);
    device.afterAttachmentRename(() -> {
      System.out.println(RENAMED);
      System.out.flush();
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return device;
  }
}
