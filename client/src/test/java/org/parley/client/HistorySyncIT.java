package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.history.BlobTransfer;
import org.parley.client.history.HistoryExporter;
import org.parley.client.history.HistoryImporter;
import org.parley.client.history.SyntheticHistory;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.AesGcm;
import org.parley.protocol.wire.AttachmentPointer;
import org.parley.protocol.wire.HistorySync;
import org.parley.server.testing.TestServer;

/**
 * History sync from a primary's profile into a companion's (DESIGN.md §7). Linking is another
 * piece of work, so the companion here is a profile of the same account filled by the importer,
 * downloading with the primary's credentials; the announcements go to it directly rather than in an
 * end-to-end message.
 */
class HistorySyncIT {
  static final String ALICE = "+15550000001";
  static final String BOB = "+15550000002";
  static final int COMPANION = 2;
  static final long DAY = Duration.ofDays(1).toMillis();

  @TempDir Path dir;
  TestServer server;
  final Clock clock = Clock.systemUTC();
  final List<AutoCloseable> open = new ArrayList<>();
  ProfileStore primary;
  LocalDevice primaryDevice;
  ProfileStore companion;
  HistoryImporter importer;
  BlobTransfer blobs;

  @BeforeEach
  void setUp() {
    server = TestServer.start(dir.resolve("server"));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable closeable : open.reversed()) {
      closeable.close();
    }
    server.close();
  }

  /** Alice and Bob talk both ways; then Alice's profile is opened for export, with some seeded history. */
  private void aliceAndBobTalked(int seededMessages) {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      alice.sendText(BOB, "hello bob");
      assertThat(messages(receive(bob))).hasSize(1);
      bob.sendText(ALICE, "hi alice");
      bob.sendText(ALICE, "how are you?");
      assertThat(messages(receive(alice))).hasSize(2);
      alice.sendText(BOB, "fine");
      receive(bob);
      receive(alice);
    }
    openProfiles(seededMessages);
  }

  /** Alice registered, her history seeded straight into her profile (quicker than talking). */
  private void aliceWithHistory(int seededMessages) {
    register(server, dir.resolve("alice"), ALICE).close();
    openProfiles(seededMessages);
  }

  private void openProfiles(int seededMessages) {
    primary = keep(ProfileStore.open(dir.resolve("alice")));
    primaryDevice = new LocalDevice(primary);
    if (seededMessages > 0) {
      SyntheticHistory.seed(primary, account(), seededMessages, 40, clock.millis(), 300 * DAY, 7);
    }
    companion = keep(ProfileStore.open(dir.resolve("companion")));
    new LocalDevice(companion).prepare(server.url(), ALICE, "laptop", 2);
    new LocalDevice(companion).registered(account(), COMPANION, ALICE, new byte[32]);
    importer = new HistoryImporter(companion, account(), COMPANION, clock, dir.resolve("companion").resolve("history"));
    blobs = keep(BlobTransfer.forDevice(primaryDevice, null));
  }

  @Test
  void theCompanionShowsExactlyThePrimarysHistoryWithinTheWindow() throws Exception {
    aliceAndBobTalked(3000);
    MessageHistory aliceHistory = new MessageHistory(primary);
    UUID bob = new org.parley.client.store.Contacts(primary).byPhone(BOB).orElseThrow().account();
    seed(aliceHistory, bob, "too old", clock.millis() - 366 * DAY);
    seed(aliceHistory, UUID.randomUUID(), "too old, another chat", clock.millis() - 400 * DAY);
    seed(aliceHistory, bob, "just inside", clock.millis() - 364 * DAY);

    List<HistorySync> announcements = export();
    assertThat(announcements).extracting(HistorySync::getPart).containsExactly(0, 1);
    assertThat(announcements).extracting(HistorySync::getLastPart).containsExactly(false, true);
    assertThat(announcements.get(0).getSize())
        .as("the first bundle is small, so the companion is usable at once")
        .isLessThan(announcements.get(1).getSize() / 2);

    List<HistorySyncEvent> events = new CopyOnWriteArrayList<>();
    long records = 0;
    for (HistorySync announcement : announcements) {
      HistoryImporter.Result result = importer.importBundle(announcement, blobs, events::add);
      assertThat(result.outcome()).isEqualTo(HistoryImporter.Outcome.IMPORTED);
      records += result.records();
    }

    List<MessageHistory.Entry> expected =
        aliceHistory.list(null, null, Integer.MAX_VALUE).stream()
            .filter(m -> m.timestamp() >= clock.millis() - 365 * DAY)
            .toList();
    assertThat(expected).hasSize(3000 + 4 + 1);
    assertThat(new MessageHistory(companion).list(null, null, Integer.MAX_VALUE))
        .containsExactlyInAnyOrderElementsOf(expected)
        .noneMatch(m -> m.body().startsWith("too old"));

    try (Device laptop = Device.open(dir.resolve("companion"), ClientConfig.defaults())) {
      List<MessageEvent> chat = laptop.history(BOB, null, 100);
      assertThat(chat).extracting(MessageEvent::body)
          .containsExactly("just inside", "hello bob", "hi alice", "how are you?", "fine");
      assertThat(chat).extracting(MessageEvent::type).containsExactly("sent", "sent", "message", "message", "sent");
      assertThat(chat.get(1).to()).isEqualTo(BOB);
      assertThat(chat.get(2).from()).isEqualTo(BOB);
      assertThat(chat.get(1).status()).isEqualTo("delivered");
    }

    assertThat(records).isEqualTo(announcements.stream().mapToLong(HistorySync::getRecordCount).sum());
    assertThat(events.getLast().state()).isEqualTo("imported");
    assertThat(events.getLast().lastPart()).isTrue();
    assertThat(events).filteredOn(e -> e.state().equals("importing") && e.part() == 1).hasSizeGreaterThan(10);
    assertThat(events).filteredOn(e -> e.state().equals("downloading")).last()
        .satisfies(e -> assertThat(e.downloaded()).isEqualTo(e.bytes()));
    assertThat(importer.pending()).isEmpty();
    assertThat(blobFilesOnServer()).as("the server holds no blob once fetched").isEmpty();
    assertThat(filesIn(dir.resolve("companion").resolve("history"))).as("downloads are removed once imported").isEmpty();
  }

  @Test
  void importingTwiceAddsNothing() {
    aliceWithHistory(500);
    List<HistorySync> announcements = export();
    for (HistorySync announcement : announcements) {
      importer.importBundle(announcement, blobs, e -> {});
    }
    List<MessageHistory.Entry> once = new MessageHistory(companion).list(null, null, Integer.MAX_VALUE);

    for (HistorySync announcement : announcements) {
      assertThat(importer.importBundle(announcement, blobs, e -> {}).outcome())
          .as("a redelivered announcement").isEqualTo(HistoryImporter.Outcome.ALREADY_IMPORTED);
    }
    for (HistorySync announcement : export()) {
      HistoryImporter.Result again = importer.importBundle(announcement, blobs, e -> {});
      assertThat(again.outcome()).as("a fresh export of the same history").isEqualTo(HistoryImporter.Outcome.IMPORTED);
      assertThat(again.messagesAdded()).isZero();
      assertThat(again.contactsAdded()).isZero();
    }
    assertThat(new MessageHistory(companion).list(null, null, Integer.MAX_VALUE)).containsExactlyInAnyOrderElementsOf(once);
  }

  @Test
  void aDownloadCutOffHalfwayResumesAndCompletes() throws Exception {
    aliceWithHistory(20_000);
    HistorySync big = export().get(1);
    assertThat(big.getSize()).isGreaterThan(200_000);

    assertThatThrownBy(() -> importer.importBundle(big, blobs, e -> {
          if (e.state().equals("downloading") && e.downloaded() >= e.bytes() / 2) {
            throw new IllegalStateException("network gone");
          }
        }))
        .hasMessageContaining("network gone");
    Path partial = dir.resolve("companion").resolve("history").resolve(big.getBlobId() + ".bundle");
    long held = Files.size(partial);
    assertThat(held).isBetween(big.getSize() / 2, big.getSize() - 1);
    assertThat(new MessageHistory(companion).list(null, null, 1)).isEmpty();
    assertThat(importer.pending()).extracting(HistorySync::getBlobId).containsExactly(big.getBlobId());

    HistoryImporter.Result resumed = importer.importBundle(big, blobs, e -> {});
    assertThat(resumed.outcome()).isEqualTo(HistoryImporter.Outcome.IMPORTED);
    assertThat(resumed.resumedAt()).isEqualTo(held);
    assertThat(resumed.messagesAdded()).isEqualTo(big.getRecordCount());
    assertThat(importer.pending()).isEmpty();
  }

  @Test
  void aTamperedTruncatedOrReorderedBundleIsRefusedAndNothingOfItImported() throws Exception {
    aliceWithHistory(20_000);
    HistoryExporter exporter = exporter();
    List<HistoryExporter.Bundle> bundles = exporter.write(COMPANION, 365);
    HistoryExporter.Bundle rest = bundles.get(1);
    byte[] original = Files.readAllBytes(rest.file());
    int chunk = 64 * 1024 + AesGcm.OVERHEAD;
    assertThat(original.length).as("several chunks").isGreaterThan(3 * chunk);

    byte[] flipped = original.clone();
    flipped[original.length / 2] ^= 0x04;
    byte[] truncated = Arrays.copyOf(original, 8 + 2 * chunk);
    byte[] reordered = original.clone();
    System.arraycopy(original, 8 + chunk, reordered, 8, chunk);
    System.arraycopy(original, 8, reordered, 8 + chunk, chunk);

    for (byte[] damaged : List.of(flipped, truncated, reordered)) {
      Files.write(rest.file(), damaged);
      assertThatThrownBy(() -> importer.importFile(rest.file(), rest.announcement(), e -> {}))
          .isInstanceOf(ClientException.class)
          .hasMessageContaining("nothing of it imported")
          .satisfies(e -> assertThat(((ClientException) e).code()).isEqualTo(HistoryImporter.CORRUPT));
      assertThat(new MessageHistory(companion).list(null, null, 1)).as("nothing half-imported").isEmpty();
      assertThat(messageIndexes(companion)).as("indexes dropped for the import are back").containsExactly(
          "messages_by_chat", "messages_by_group");
    }

    // Through the server: the digest gives the damage away before anything is decrypted.
    Files.write(rest.file(), flipped);
    HistorySync announced;
    try (ServerConnection connection = connect()) {
      announced = rest.announcement().toBuilder().setBlobId(blobs.upload(connection, rest.file())).build();
    }
    assertThatThrownBy(() -> importer.importBundle(announced, blobs, e -> {}))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("does not match the size and SHA-256")
        .satisfies(e -> assertThat(((ClientException) e).code()).isEqualTo(HistoryImporter.DAMAGED_DOWNLOAD));
    assertThat(new MessageHistory(companion).list(null, null, 1)).isEmpty();

    // Arrived intact but does not decrypt (here: the wrong key): refused for good, not retried.
    Files.write(rest.file(), original);
    HistorySync wrongKey;
    try (ServerConnection connection = connect()) {
      wrongKey =
          rest.announcement().toBuilder()
              .setBlobId(blobs.upload(connection, rest.file()))
              .setKey(com.google.protobuf.ByteString.copyFrom(new byte[32]))
              .build();
    }
    assertThatThrownBy(() -> importer.importBundle(wrongKey, blobs, e -> {}))
        .hasMessageContaining("failed authentication");
    assertThat(importer.pending()).extracting(HistorySync::getBlobId).containsExactly(announced.getBlobId());
    assertThat(new MessageHistory(companion).list(null, null, 1)).isEmpty();

    assertThat(importer.importFile(rest.file(), rest.announcement(), e -> {}).records()).isEqualTo(rest.announcement().getRecordCount());
  }

  @Test
  void liveMessagesAreNeitherLostNorDuplicatedAndTheirStatusNeverGoesBack() {
    aliceWithHistory(0);
    MessageHistory aliceHistory = new MessageHistory(primary);
    UUID bob = UUID.randomUUID();
    long now = clock.millis();
    aliceHistory.add(new MessageHistory.Entry(account(), "m1", 1, bob, null, true, "hello bob", now - 4000, now, "delivered"));
    aliceHistory.add(new MessageHistory.Entry(bob, "m2", 1, bob, null, false, "hi alice", now - 3000, now, "unread"));
    aliceHistory.add(new MessageHistory.Entry(bob, "m3", 1, bob, null, false, "how are you?", now - 2000, now, "unread"));
    aliceHistory.add(new MessageHistory.Entry(account(), "m4", 1, bob, null, true, "fine", now - 1000, now, "sent"));
    List<MessageHistory.Entry> exported = aliceHistory.list(null, null, Integer.MAX_VALUE);
    MessageHistory.Entry sentDelivered = only(exported, "hello bob");
    MessageHistory.Entry received = only(exported, "hi alice");
    MessageHistory.Entry sentByAlice = only(exported, "fine");
    MessageHistory companionHistory = new MessageHistory(companion);
    // arrived live on the companion while the sync ran, each with a status of its own
    companionHistory.add(with(sentDelivered, "read"));
    companionHistory.add(with(received, "read"));
    companionHistory.add(with(sentByAlice, "sent"));
    aliceHistory.updateStatus(account(), List.of(sentByAlice.id()), "read");
    MessageHistory.Entry live =
        new MessageHistory.Entry(received.author(), "live-1", 1, received.chatAccount(), null, false, "during sync",
            clock.millis(), clock.millis(), "unread");
    companionHistory.add(live);

    HistoryImporter.Result result = export().stream().map(a -> importer.importBundle(a, blobs, e -> {})).toList().getFirst();
    assertThat(result.messagesAdded()).isEqualTo(1);

    List<MessageHistory.Entry> after = companionHistory.list(null, null, Integer.MAX_VALUE);
    assertThat(after).hasSize(5);
    assertThat(only(after, "hello bob").status()).as("newer live status kept").isEqualTo("read");
    assertThat(only(after, "hi alice").status()).as("read stays read").isEqualTo("read");
    assertThat(only(after, "fine").status()).as("an older live status advances").isEqualTo("read");
    assertThat(only(after, "how are you?").status()).isEqualTo("unread");
    assertThat(only(after, "during sync")).isEqualTo(live);
  }

  @Test
  void theRestTravelsInKeyOrderWithEveryAttachmentPointerAndTheIndexesAreBuiltAgain() {
    aliceWithHistory(12_000);
    // The oldest messages lie in the second part; three of them carry pointers, one two of them.
    List<MessageHistory.Entry> oldest =
        new MessageHistory(primary).list(null, null, Integer.MAX_VALUE).stream()
            .sorted(java.util.Comparator.comparingLong(MessageHistory.Entry::timestamp))
            .limit(3)
            .toList();
    List<List<AttachmentPointer>> pointers =
        List.of(List.of(pointer("first-a"), pointer("first-b")), List.of(pointer("second")), List.of(pointer("third")));
    primary.transaction(c -> {
      for (int i = 0; i < oldest.size(); i++) {
        AttachmentStore.insert(c, oldest.get(i).author(), oldest.get(i).id(), pointers.get(i), AttachmentStore.FETCHED);
      }
      return null;
    });

    List<HistorySync> announcements = export();
    assertThat(announcements.get(1).getRecordCount()).as("large enough for the rebuilt indexes").isGreaterThan(10_000);
    for (HistorySync announcement : announcements) {
      importer.importBundle(announcement, blobs, e -> {});
    }

    assertThat(new MessageHistory(companion).list(null, null, Integer.MAX_VALUE))
        .containsExactlyInAnyOrderElementsOf(new MessageHistory(primary).list(null, null, Integer.MAX_VALUE));
    AttachmentStore attachments = new AttachmentStore(companion, null);
    for (int i = 0; i < oldest.size(); i++) {
      assertThat(attachments.of(oldest.get(i).author(), oldest.get(i).id()))
          .extracting(AttachmentStore.Held::blobId, AttachmentStore.Held::status)
          .containsExactlyElementsOf(
              pointers.get(i).stream().map(p -> org.assertj.core.groups.Tuple.tuple(p.getBlobId(), AttachmentStore.OFFERED)).toList());
    }
    assertThat(messageIndexes(companion)).containsExactly("messages_by_chat", "messages_by_group");
  }

  @Test
  void aBundleHoldingMoreRecordsThanAnnouncedIsRefusedAsSoonAsItGoesPastTheCount() {
    aliceWithHistory(12_000);
    HistoryExporter.Bundle rest = exporter().write(COMPANION, 365).get(1);
    long announced = rest.announcement().getRecordCount() / 2;
    HistorySync understated = rest.announcement().toBuilder().setRecordCount(announced).build();
    List<HistorySyncEvent> events = new CopyOnWriteArrayList<>();

    assertThatThrownBy(() -> importer.importFile(rest.file(), understated, events::add))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("holds more records than the " + announced)
        .satisfies(e -> assertThat(((ClientException) e).code()).isEqualTo(HistoryImporter.CORRUPT));
    assertThat(events).as("no record past the announced count was applied")
        .allSatisfy(e -> assertThat(e.imported()).isLessThanOrEqualTo(announced));
    assertThat(new MessageHistory(companion).list(null, null, 1)).isEmpty();
  }

  @Test
  void anExportForAnotherCompanionIsLeftAlone() throws Exception {
    aliceWithHistory(10);
    HistorySync forAnother = export().getFirst().toBuilder().setTargetDevice(3).build();
    assertThat(importer.isForThisDevice(forAnother)).isFalse();
    assertThat(importer.importBundle(forAnother, blobs, e -> {}).outcome())
        .isEqualTo(HistoryImporter.Outcome.NOT_FOR_THIS_DEVICE);
    assertThat(new MessageHistory(companion).list(null, null, 1)).isEmpty();
    assertThat(blobFilesOnServer()).as("still there for the companion it is for").isNotEmpty();
  }

  // ---------------------------------------------------------------- helpers

  private List<HistorySync> export() {
    try (ServerConnection connection = connect()) {
      return exporter().export(connection, blobs, COMPANION, HistoryExporter.DEFAULT_DAYS);
    }
  }

  private HistoryExporter exporter() {
    return new HistoryExporter(primary, account(), clock, dir.resolve("alice").resolve("history"));
  }

  private ServerConnection connect() {
    return ServerConnection.open(
        ServerConnection.Target.device(
            primaryDevice.serverUrl(), account().toString(), primaryDevice.deviceId(), primaryDevice.credential(), null, false),
        push -> {});
  }

  private UUID account() {
    return primaryDevice.account();
  }

  private void seed(MessageHistory history, UUID chat, String body, long timestamp) {
    history.add(new MessageHistory.Entry(account(), UUID.randomUUID().toString(), 1, chat, null, true, body, timestamp, timestamp, "sent"));
  }

  private static MessageHistory.Entry only(List<MessageHistory.Entry> entries, String body) {
    return entries.stream().filter(e -> e.body().equals(body)).reduce((a, b) -> {
      throw new AssertionError("two messages say " + body);
    }).orElseThrow();
  }

  private static MessageHistory.Entry with(MessageHistory.Entry e, String status) {
    return new MessageHistory.Entry(
        e.author(), e.id(), e.authorDevice(), e.chatAccount(), e.groupId(), e.outgoing(), e.body(), e.timestamp(),
        e.serverTimestamp(), status);
  }

  private static List<String> messageIndexes(ProfileStore store) {
    return store.read(c -> {
      List<String> names = new ArrayList<>();
      try (var rs = c.createStatement().executeQuery(
          "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL ORDER BY name")) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      return names;
    });
  }

  private static AttachmentPointer pointer(String blobId) {
    return AttachmentPointer.newBuilder()
        .setBlobId(blobId)
        .setKey(com.google.protobuf.ByteString.copyFrom(new byte[org.parley.protocol.attachments.AttachmentKeys.BYTES]))
        .setDigest(com.google.protobuf.ByteString.copyFrom(new byte[32]))
        .setSize(1000)
        .setContentType("image/jpeg")
        .build();
  }

  private List<String> blobFilesOnServer() {
    return server.blobFiles();
  }

  private static List<String> filesIn(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  private <T extends AutoCloseable> T keep(T closeable) {
    open.add(closeable);
    return closeable;
  }
}
