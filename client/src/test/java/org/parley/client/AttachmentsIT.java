package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.parley.client.Accounts.linkByUri;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import com.google.protobuf.ByteString;
import java.awt.image.BufferedImage;
import java.io.RandomAccessFile;
import java.security.MessageDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.attachments.AttachmentUploader.Outgoing;
import org.parley.client.events.AttachmentEvent;
import org.parley.client.events.AttachmentView;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.attachments.AttachmentSizes;
import org.parley.server.blobs.BlobLimits;
import org.parley.server.testing.TestServer;

/**
 * Attachments end to end (docs/PROTOCOL.md §14) on a real server: a file reaches every device it was sent
 * to, verified before a byte of plaintext is written; an altered blob or a false digest is refused
 * with nothing written; uploads and downloads cut off half way continue from where they stopped;
 * the sender's file name is never a path; the server's limits are refused with a reason.
 */
class AttachmentsIT {
  static final String ALICE = "+15550001401";
  static final String BOB = "+15550001402";
  static final String CAROL = "+15550001403";

  @TempDir Path dir;
  TestServer server;
  final List<Device> open = new ArrayList<>();

  void start(BlobLimits limits) {
    server = TestServer.start(dir.resolve("server"), Clock.systemUTC(), b -> b.blobLimits(limits));
  }

  Device device(String name, String phone) {
    Device device = register(server, dir.resolve(name), phone);
    open.add(device);
    return device;
  }

  @AfterEach
  void stop() {
    open.forEach(Device::close);
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aFileAndAPhotoReachTheContactAndTheSendersOtherDeviceAndTheServerLetsGoOnceAllHaveThem() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Device laptop = linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop");
    open.add(laptop);
    receive(laptop);
    Path invoice = file("invoice.pdf", pdf(300_000));
    Path photo = dir.resolve("beach.png");
    BufferedImage image = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
    image.setRGB(10, 10, 0xff0000);
    ImageIO.write(image, "png", photo.toFile());

    Device.SendResult sent = alice.send(BOB, null, "the invoice, and the beach", List.of(Outgoing.of(invoice), Outgoing.of(photo)));
    assertThat(sent.pending()).isFalse();
    assertThat(server.blobFiles()).hasSize(2);

    for (Device receiver : List.of(bob, laptop)) {
      List<ClientEvent> events = receive(receiver);
      MessageEvent message = messages(events).stream().filter(m -> m.id().equals(sent.messageId())).findFirst().orElseThrow();
      assertThat(message.attachments()).extracting(AttachmentView::fileName, AttachmentView::contentType, AttachmentView::size)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("invoice.pdf", "application/pdf", Files.size(invoice)),
              org.assertj.core.groups.Tuple.tuple("beach.png", "image/png", Files.size(photo)));
      assertThat(message.attachments()).allSatisfy(a -> assertThat(a.path()).isNull());
      List<AttachmentEvent> fetched = attachmentEvents(events);
      assertThat(fetched).extracting(AttachmentEvent::status).containsExactly("fetched", "fetched");
      assertHolds(fetched.get(0).path(), invoice);
      assertHolds(fetched.get(1).path(), photo);
      assertThat(Path.of(fetched.get(0).path()).getParent()).isEqualTo(receiver.directory().resolve("attachments"));
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(fetched.get(0).path()))))
          .as("the owner's alone, like the rest of the profile").isEqualTo("rw-------");
    }
    // history --json: the same attachments, with where each device keeps them
    MessageEvent inHistory = bob.history(ALICE, null, 10).getLast();
    assertThat(inHistory.attachments()).allSatisfy(a -> {
      assertThat(a.status()).isEqualTo("fetched");
      assertThat(Path.of(a.path())).exists();
    });
    assertThat(alice.history(BOB, null, 10).getLast().attachments())
        .as("the sender keeps its own copies").allSatisfy(a -> assertThat(Path.of(a.path())).exists());
    // the photo got a small JPEG thumbnail, inside the end-to-end message
    try (ProfileStore store = ProfileStore.open(dir.resolve("bob"))) {
      var pointer = new AttachmentStore(store, null).byId(inHistory.attachments().get(1).id()).orElseThrow().pointer();
      assertThat(pointer.getThumbnail().size()).isBetween(100, 24 * 1024);
      assertThat(pointer.getThumbnail().substring(0, 3).toByteArray()).containsExactly(0xff, 0xd8, 0xff);
      assertThat(pointer.getWidth()).isEqualTo(640);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.blobFiles().isEmpty());

    // on demand: a copy where the user wants it, never over an existing file
    Path out = dir.resolve("copy.pdf");
    bob.attachment(inHistory.attachments().get(0).id(), out);
    assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(invoice));
    assertThatThrownBy(() -> bob.attachment(inHistory.attachments().get(0).id(), out)).hasMessageContaining("exists already");
  }

  /**
   * {@code attachment get --out FILE}: FILE holds the whole file or is not made, and a file that takes
   * its name meanwhile (after the check, before the copy is in place) is never replaced; with
   * {@code --force} (replace) it is.
   */
  @Test
  void aCopyOutNeverReplacesAFileMadeMeanwhileUnlessAskedTo() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path invoice = file("invoice.pdf", pdf(200_000));
    alice.send(BOB, null, "the invoice", List.of(Outgoing.of(invoice)));
    String id = firstAttachment(receive(bob)).id();
    Path out = Files.createDirectories(dir.resolve("out")).resolve("invoice.pdf");
    bob.beforeAttachmentCopyOut(() -> {
      try {
        Files.writeString(out, "someone else's");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });

    assertThatThrownBy(() -> bob.attachment(id, out)).hasMessageContaining("exists already").hasMessageContaining("--force");
    assertThat(Files.readString(out)).isEqualTo("someone else's");
    try (Stream<Path> left = Files.list(out.getParent())) {
      assertThat(left).as("no temporary copy left beside it").containsExactly(out);
    }

    bob.beforeAttachmentCopyOut(() -> {});
    bob.attachment(id, out, true);
    assertHolds(out.toString(), invoice);
    try (Stream<Path> left = Files.list(out.getParent())) {
      assertThat(left).containsExactly(out);
    }
  }

  @Test
  void historySyncCarriesThePointersAndACompanionFetchesThoseTheServerStillHolds() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device laptop = linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop");
    open.add(laptop);
    Device bob = device("bob", BOB);
    Path contract = file("contract.pdf", pdf(50_000));
    alice.send(BOB, null, "sign here", List.of(Outgoing.of(contract)));
    receive(bob);

    // alice's laptop has not fetched it yet, so the server still holds it
    Device tablet = linkByUri(server, bob, dir.resolve("bob-tablet"), "tablet");
    open.add(tablet);
    assertThat(tablet.awaitHistory(Duration.ofSeconds(30), e -> {})).isTrue();
    AttachmentView offered = tablet.history(ALICE, null, 10).getLast().attachments().getFirst();
    assertThat(offered.status()).isEqualTo("offered");
    assertThat(offered.path()).isNull();
    assertThat(offered.fileName()).isEqualTo("contract.pdf");

    AttachmentView fetched = tablet.attachment(offered.id(), null);
    assertThat(fetched.status()).isEqualTo("fetched");
    assertHolds(fetched.path(), contract);
  }

  @Test
  void aGroupGetsOneUploadAndEveryMemberTheFile() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Device carol = device("carol", CAROL);
    String group = alice.groups().create("shop", List.of(BOB, CAROL)).id();
    receive(bob);
    receive(carol);
    Path menu = file("menu.txt", "soup of the day\n".repeat(5000).getBytes());

    alice.send(null, group, "", List.of(Outgoing.of(menu)));
    assertThat(server.blobFiles()).as("one upload for the whole group").hasSize(1);

    for (Device member : List.of(bob, carol)) {
      List<ClientEvent> events = receive(member);
      assertThat(messages(events)).singleElement().satisfies(m -> {
        assertThat(m.group()).isEqualTo(group);
        assertThat(m.attachments()).extracting(AttachmentView::contentType).containsExactly("text/plain");
      });
      AttachmentEvent fetched = firstAttachment(events);
      assertHolds(fetched.path(), menu);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> server.blobFiles().isEmpty());
  }

  @Test
  void aFlippedByteATruncatedBlobAndAFalseDigestAreRefusedWithNoPlaintextWritten() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path file = file("secret.bin", random(200_000));

    // the operator flips a byte of the stored blob
    List<Attachments.Prepared> flipped = alice.upload(List.of(Outgoing.of(file)));
    flipByte(blobFile(flipped.get(0)), 100_000);
    alice.sendPrepared(BOB, null, "flipped", flipped);
    // the operator cuts the stored blob short
    List<Attachments.Prepared> truncated = alice.upload(List.of(Outgoing.of(file)));
    try (RandomAccessFile blob = new RandomAccessFile(blobFile(truncated.get(0)).toFile(), "rw")) {
      blob.setLength(150_000);
    }
    alice.sendPrepared(BOB, null, "truncated", truncated);
    // the sender states a digest that is not the blob's
    List<Attachments.Prepared> lying = alice.upload(List.of(Outgoing.of(file)));
    Attachments.Prepared honest = lying.get(0);
    byte[] digest = honest.pointer().getDigest().toByteArray();
    digest[0] ^= 1;
    alice.sendPrepared(BOB, null, "false digest", List.of(new Attachments.Prepared(
        honest.pointer().toBuilder().setDigest(ByteString.copyFrom(digest)).build(), honest.ownCopy(), 0)));
    // the sender (who holds the keys) makes a blob whose digest and MAC are valid but whose padding is not
    List<Attachments.Prepared> padded = alice.upload(List.of(Outgoing.of(file)));
    byte[] badPadding = badPadding(padded.get(0).pointer().getKey().toByteArray(), padded.get(0).pointer().getSize());
    Files.write(blobFile(padded.get(0)), badPadding);
    alice.sendPrepared(BOB, null, "bad padding", List.of(new Attachments.Prepared(
        padded.get(0).pointer().toBuilder()
            .setDigest(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(badPadding))).build(),
        padded.get(0).ownCopy(), 0)));

    List<ClientEvent> events = receive(bob);
    assertThat(events.stream().filter(AttachmentEvent.class::isInstance).map(e -> ((AttachmentEvent) e).id()).distinct())
        .hasSize(4);
    assertThat(events).filteredOn(AttachmentEvent.class::isInstance).allSatisfy(e -> {
      AttachmentEvent a = (AttachmentEvent) e;
      assertThat(a.path()).isNull();
      assertThat(a.status()).isIn("failed", "pending");
    });
    assertThat(events).filteredOn(AttachmentEvent.class::isInstance).map(e -> ((AttachmentEvent) e).error())
        .anySatisfy(error -> assertThat(error).contains("SHA-256"))
        .anySatisfy(error -> assertThat(error).containsAnyOf("broke off", "fewer bytes", "bytes but"))
        .anySatisfy(error -> assertThat(error).contains("bad padding"));
    assertThat(plaintexts(bob)).as("nothing the user could open").isEmpty();
    // Only the cut-short download may keep its bytes (it stays pending and resumable): a refused blob
    // must not stay on the receiver's disk, or a contact could fill it.
    String truncatedId = truncated.get(0).pointer().getBlobId();
    List<String> truncatedBlob = List.of(truncatedId + ".part", truncatedId + ".iv");
    assertThat(partials(bob)).as("partial downloads left").isSubsetOf(truncatedBlob);
    String flippedId = flipped.get(0).pointer().getBlobId();
    assertThatThrownBy(() -> bob.attachment(flippedId, null)).isInstanceOf(ClientException.class);
    String paddedId = padded.get(0).pointer().getBlobId();
    assertThatThrownBy(() -> bob.attachment(paddedId, null)).isInstanceOf(ClientException.class);
    assertThat(plaintexts(bob)).isEmpty();
    assertThat(partials(bob)).isSubsetOf(truncatedBlob);
  }

  /** IV, AES-CBC over zeros without padding (the last byte, 0, is no valid padding), and a valid MAC. */
  private static byte[] badPadding(byte[] key, long size) throws Exception {
    int body = (int) (AttachmentSizes.encryptedSize(size) - AttachmentSizes.IV_BYTES - AttachmentSizes.MAC_BYTES);
    byte[] iv = new byte[AttachmentSizes.IV_BYTES];
    Cipher aes = Cipher.getInstance("AES/CBC/NoPadding");
    aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 0, 32, "AES"), new IvParameterSpec(iv));
    byte[] ciphertext = aes.doFinal(new byte[body]);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, 32, 32, "HmacSHA256"));
    mac.update(iv);
    byte[] tag = mac.doFinal(ciphertext);
    byte[] blob = new byte[iv.length + ciphertext.length + tag.length];
    System.arraycopy(iv, 0, blob, 0, iv.length);
    System.arraycopy(ciphertext, 0, blob, iv.length, ciphertext.length);
    System.arraycopy(tag, 0, blob, iv.length + ciphertext.length, tag.length);
    return blob;
  }

  /** The names of the files in the profile's incoming/ (downloads not verified yet). */
  private static List<String> partials(Device device) throws Exception {
    Path partial = device.directory().resolve(AttachmentStore.INCOMING);
    if (!Files.isDirectory(partial)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(partial)) {
      return files.map(f -> f.getFileName().toString()).toList();
    }
  }

  @Test
  void anUploadAndADownloadCutOffHalfWayContinueFromTheirOffsets() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path file = file("video.bin", random(600_000));
    // a file too large for one request: it reserves a slot, and a break costs only what was not sent
    alice.oneRequestUpTo(100_000);

    alice.stopUploadsAfter(250_000);
    assertThatThrownBy(() -> alice.send(BOB, null, "the video", List.of(Outgoing.of(file))))
        .isInstanceOf(ClientException.class).hasMessageContaining("stopped half way");
    assertThat(alice.history(BOB, null, 10)).as("no message without its file").isEmpty();
    assertThat(alice.waitingToSend()).isZero();

    alice.stopUploadsAfter(Long.MAX_VALUE);
    List<Attachments.Prepared> resumed = alice.upload(List.of(Outgoing.of(file)));
    assertThat(resumed.get(0).resumedFrom()).as("continued after the bytes the server held").isBetween(1L, 250_000L);
    alice.sendPrepared(BOB, null, "the video", resumed);

    // the receiving side dies half way through the download
    AtomicLong firstSeen = new AtomicLong(-1);
    bob.downloadProgress(held -> {
      if (held > 200_000) {
        throw new ClientException("killed half way (test)");
      }
    });
    List<ClientEvent> events = receive(bob);
    AttachmentEvent cut = firstAttachment(events);
    assertThat(cut.status()).isEqualTo("pending");
    assertThat(plaintexts(bob)).isEmpty();

    bob.downloadProgress(held -> firstSeen.compareAndSet(-1, held));
    AttachmentView got = bob.attachment(cut.id(), null);
    assertThat(firstSeen.get()).as("the download continued after the bytes held").isGreaterThan(200_000);
    assertHolds(got.path(), file);
  }

  /**
   * A small file goes in one request (creation-with-upload): no slot is kept in the profile, a break
   * half way leaves nothing on the server, and the same send again starts over and gets through.
   */
  @Test
  void aSmallFileGoesInOneRequestAndOneCutOffStartsOverLeavingNothing() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path file = file("note.bin", random(300_000));

    alice.stopUploadsAfter(100_000);
    assertThatThrownBy(() -> alice.send(BOB, null, "the note", List.of(Outgoing.of(file))))
        .isInstanceOf(ClientException.class).hasMessageContaining("stopped half way");
    assertThat(uploadSlots(alice)).as("no slot: the upload was one request").isZero();
    await("the server drops what the broken request brought").atMost(Duration.ofSeconds(10))
        .until(() -> server.blobFiles().isEmpty());

    alice.stopUploadsAfter(Long.MAX_VALUE);
    List<Attachments.Prepared> again = alice.upload(List.of(Outgoing.of(file)));
    assertThat(again.get(0).resumedFrom()).as("started over").isZero();
    assertThat(uploadSlots(alice)).isZero();
    assertThat(server.blobFiles()).hasSize(1);
    alice.sendPrepared(BOB, null, "the note", again);
    AttachmentEvent got = firstAttachment(receive(bob));
    assertThat(got.status()).isEqualTo("fetched");
    assertHolds(got.path(), file);
  }

  /** Upload slots the profile keeps for resuming. */
  private static int uploadSlots(Device device) throws Exception {
    try (ProfileStore store = ProfileStore.open(device.directory())) {
      return store.read(c -> {
        try (var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM attachment_uploads")) {
          rs.next();
          return rs.getInt(1);
        }
      });
    }
  }

  /**
   * The daemon's receive loop hands automatic downloads to a background thread: while one is held
   * half way (its progress hook waits), a message sent after it is taken in, committed and shown, an
   * attachment asked for meanwhile is fetched beside it, and the download then finishes on its own.
   */
  @Test
  void aMessageBehindALargeDownloadArrivesWhileTheDownloadRuns() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path film = file("film.bin", random(3_000_000));
    HeldDownload hold = hold(bob);
    bob.startReceiving();

    alice.send(BOB, null, "the film", List.of(Outgoing.of(film)));
    await().atMost(Duration.ofSeconds(30)).until(() -> hold.underWay().getCount() == 0);
    alice.sendText(BOB, "after the film");
    await().atMost(Duration.ofSeconds(30))
        .until(() -> bob.history(ALICE, null, 10).stream().anyMatch(m -> m.body().equals("after the film")));
    assertThat(bob.history(ALICE, null, 10).getFirst().attachments()).singleElement()
        .satisfies(a -> assertThat(a.status()).isEqualTo(AttachmentStore.PENDING));
    assertThat(plaintexts(bob)).isEmpty();
    // and another attachment asked for meanwhile is fetched beside it, without waiting for it
    Path photo = file("photo.bin", random(2_000));
    alice.send(BOB, null, "a photo", List.of(Outgoing.of(photo)));
    await().atMost(Duration.ofSeconds(30))
        .until(() -> bob.history(ALICE, null, 10).stream().anyMatch(m -> m.body().equals("a photo")));
    String photoId = bob.history(ALICE, null, 10).getLast().attachments().getFirst().id();
    assertHolds(bob.attachment(photoId, null).path(), photo);
    assertThat(bob.history(ALICE, null, 10).getFirst().attachments().getFirst().status()).isEqualTo(AttachmentStore.PENDING);

    hold.goOn().countDown();
    await().atMost(Duration.ofSeconds(60))
        .until(() -> bob.history(ALICE, null, 10).getFirst().attachments().getFirst().status().equals(AttachmentStore.FETCHED));
    AttachmentView fetched = bob.history(ALICE, null, 10).getFirst().attachments().getFirst();
    assertHolds(fetched.path(), film);
  }

  /**
   * While the daemon's download of a large file is held, 33 more attachments arrive (more than one
   * batch of automatic fetching): once it goes on, every one of them is fetched, with no further
   * message to set another round off.
   */
  @Test
  void moreThanABatchOfWaitingAttachmentsAreAllFetched() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path film = file("film.bin", random(3_000_000));
    HeldDownload hold = hold(bob);
    bob.startReceiving();
    alice.send(BOB, null, "the film", List.of(Outgoing.of(film)));
    await().atMost(Duration.ofSeconds(30)).until(() -> hold.underWay().getCount() == 0);
    List<Outgoing> many = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      many.add(Outgoing.of(file("small" + i + ".bin", random(100))));
    }
    alice.send(BOB, null, "thirty-two", many);
    alice.send(BOB, null, "one more", List.of(Outgoing.of(file("last.bin", random(100)))));
    await().atMost(Duration.ofSeconds(60))
        .until(() -> bob.history(ALICE, null, 10).stream().anyMatch(m -> m.body().equals("one more")));
    hold.goOn().countDown();
    await().atMost(Duration.ofSeconds(60)).until(() -> bob.history(ALICE, null, 10).stream()
        .flatMap(m -> m.attachments().stream()).allMatch(a -> a.status().equals(AttachmentStore.FETCHED)));
  }

  /**
   * A download cut off half way whose stored part was then damaged (a disk that lost its tail at a
   * power cut, or anyone who can write the profile): the resumed download fails its digest, and the
   * blob is fetched once more from its start rather than refused.
   */
  @Test
  void aDamagedStoredPartIsFetchedAgainFromTheStart() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path file = file("video.bin", random(600_000));
    alice.send(BOB, null, "the video", List.of(Outgoing.of(file)));
    bob.downloadProgress(held -> {
      if (held > 200_000) {
        throw new ClientException("killed half way (test)");
      }
    });
    AttachmentEvent cut = firstAttachment(receive(bob));
    Path part = bob.directory().resolve(AttachmentStore.INCOMING).resolve(cut.id() + ".part");
    flipByte(part, 1000);

    bob.downloadProgress(held -> {});
    AttachmentView got = bob.attachment(cut.id(), null);
    assertThat(got.status()).isEqualTo(AttachmentStore.FETCHED);
    assertHolds(got.path(), file);
  }

  /**
   * The server fails while it sends a blob (here the operator moved its file away, so it answers
   * 500): that is a break, not a refusal — the attachment stays pending, and is fetched once the
   * server can serve it again.
   */
  @Test
  void aServerErrorLeavesTheAttachmentPendingNotFailed() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Path file = file("report.bin", random(300_000));
    Attachments.Prepared report = alice.upload(List.of(Outgoing.of(file))).get(0);
    Path blob = blobFile(report);
    Path away = Files.move(blob, blob.resolveSibling("moved-away"));
    alice.sendPrepared(BOB, null, "the report", List.of(report));

    AttachmentEvent broke = firstAttachment(receive(bob));
    assertThat(broke.status()).isEqualTo(AttachmentStore.PENDING);
    assertThat(broke.error()).contains("500");
    assertThat(plaintexts(bob)).isEmpty();

    Files.move(away, blob);
    AttachmentView got = bob.attachment(broke.id(), null);
    assertHolds(got.path(), file);
  }

  @Test
  void hostileFileNamesAreShownButNeverUsedAsPaths() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    List<String> names = List.of("../../etc/passwd", "bell\u0007\u001b[2J\nforged line", "x".repeat(10_000), "/abs/olute");
    List<Attachments.Prepared> hostile = new ArrayList<>();
    for (String name : names) {
      Path file = file("harmless-" + hostile.size() + ".txt", ("hello " + name.length() + "\n").getBytes());
      Attachments.Prepared p = alice.upload(List.of(Outgoing.of(file))).get(0);
      hostile.add(new Attachments.Prepared(p.pointer().toBuilder().setFileName(name).build(), p.ownCopy(), 0));
    }
    alice.sendPrepared(BOB, null, "names", hostile);

    List<ClientEvent> events = receive(bob);
    assertThat(messages(events).getFirst().attachments()).extracting(AttachmentView::fileName).containsExactlyElementsOf(names);
    Path attachments = bob.directory().resolve("attachments");
    assertThat(events).filteredOn(AttachmentEvent.class::isInstance).hasSize(4).allSatisfy(e -> {
      Path stored = Path.of(((AttachmentEvent) e).path());
      assertThat(stored.getParent()).isEqualTo(attachments);
      assertThat(stored.getFileName().toString()).matches("\\d{8}-\\d{6}-[0-9a-f]{12}\\.txt");
    });
    assertThat(dir.resolve("etc")).doesNotExist();
    assertThat(bob.directory().getParent().resolve("etc")).doesNotExist();
  }

  /**
   * The server only relays a message whose pointers name blobs the sender uploaded, but a sender's
   * own client need not declare them, and a profile of an earlier version may hold such pointers
   * as pending: here they are written into Bob's store as such. Receiving goes on past them, no
   * file is made from the ids, and they end failed.
   */
  @Test
  void blobIdsThatAreNoFileNamesAreRecordedFailedAndReceivingGoesOn() throws Exception {
    start(BlobLimits.defaults());
    Device alice = device("alice", ALICE);
    Device bob = device("bob", BOB);
    Attachments.Prepared real = alice.upload(List.of(Outgoing.of(file("real.txt", "hello\n".getBytes())))).get(0);
    UUID mallory = UUID.randomUUID();
    try (ProfileStore store = ProfileStore.open(dir.resolve("bob"))) {
      store.transaction(c -> {
        try (var insert = c.prepareStatement(
            "INSERT INTO attachments (author_account, message_id, position, blob_id, pointer, status) VALUES (?,?,?,?,?,?)")) {
          int position = 0;
          for (String id : List.of("../../x", "nul\0id")) {
            insert.setString(1, mallory.toString());
            insert.setString(2, "hostile");
            insert.setInt(3, position++);
            insert.setString(4, id);
            insert.setBytes(5, real.pointer().toBuilder().setBlobId(id).build().toByteArray());
            insert.setString(6, AttachmentStore.PENDING);
            insert.executeUpdate();
          }
        }
        return null;
      });
    }
    alice.send(BOB, null, "after", List.of());
    alice.send(BOB, null, "and more", List.of());

    List<ClientEvent> events = receive(bob);
    assertThat(messages(events)).extracting(MessageEvent::body).containsExactly("after", "and more");
    assertThat(events).filteredOn(AttachmentEvent.class::isInstance).hasSize(2)
        .allSatisfy(e -> assertThat(((AttachmentEvent) e).status()).isEqualTo(AttachmentStore.FAILED));
    try (ProfileStore store = ProfileStore.open(dir.resolve("bob"))) {
      AttachmentStore attachments = new AttachmentStore(store, null);
      assertThat(attachments.of(mallory, "hostile")).extracting(AttachmentStore.Held::status)
          .containsOnly(AttachmentStore.FAILED);
      assertThat(attachments.pending(10)).isEmpty();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.map(f -> f.getFileName().toString())).doesNotContain("x.part", "x.iv");
    }
  }

  @Test
  void theServersLimitsAreRefusedWithAReasonAndNothingIsSent() throws Exception {
    start(BlobLimits.defaults().withMaxAttachmentBytes(100_000).withMaxBytesPerAccount(400_000));
    Device alice = device("alice", ALICE);
    device("bob", BOB);
    Path large = file("large.bin", random(150_000));
    assertThatThrownBy(() -> alice.send(BOB, null, "too large", List.of(Outgoing.of(large))))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("attachments of at most");

    Path fits = file("fits.bin", random(90_000));
    for (int i = 0; i < 4; i++) {
      alice.send(BOB, null, "fits " + i, List.of(Outgoing.of(copy(fits, "fits-" + i + ".bin"))));
    }
    assertThatThrownBy(() -> alice.send(BOB, null, "one too many", List.of(Outgoing.of(copy(fits, "fits-4.bin")))))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("once they have been fetched or have expired; try again in 15 min");
    assertThat(alice.history(BOB, null, 10)).extracting(MessageEvent::body).doesNotContain("too large", "one too many");
    assertThat(alice.waitingToSend()).isZero();
  }

  /** A download held half way: its progress hook waits on {@code goOn} once {@code underWay} is counted down. */
  private record HeldDownload(CountDownLatch underWay, CountDownLatch goOn) {}

  /** Holds the device's next download once 100,000 bytes are in, until the test lets it go on. */
  private static HeldDownload hold(Device device) {
    HeldDownload hold = new HeldDownload(new CountDownLatch(1), new CountDownLatch(1));
    device.downloadProgress(held -> {
      if (held > 100_000 && hold.underWay().getCount() > 0) {
        hold.underWay().countDown();
        try {
          hold.goOn().await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ClientException("interrupted (test)");
        }
      }
    });
    return hold;
  }

  /** Flips one bit of a file, as anyone who can write it could. */
  private static void flipByte(Path file, long at) throws Exception {
    try (RandomAccessFile bytes = new RandomAccessFile(file.toFile(), "rw")) {
      bytes.seek(at);
      int b = bytes.read();
      bytes.seek(at);
      bytes.write(b ^ 1);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The attachment events among what a device took in, in their order. */
  private static List<AttachmentEvent> attachmentEvents(List<ClientEvent> events) {
    return events.stream().filter(AttachmentEvent.class::isInstance).map(AttachmentEvent.class::cast).toList();
  }

  /** The first attachment event among what a device took in (fetched, pending or failed). */
  private static AttachmentEvent firstAttachment(List<ClientEvent> events) {
    return attachmentEvents(events).getFirst();
  }

  /** The file a device stored holds exactly the bytes of the file that was sent. */
  private static void assertHolds(String stored, Path sent) throws Exception {
    assertThat(Files.readAllBytes(Path.of(stored))).isEqualTo(Files.readAllBytes(sent));
  }

  private Path blobFile(Attachments.Prepared prepared) {
    return server.data().resolve("blobs").resolve(prepared.pointer().getBlobId() + ".blob");
  }

  /** Files in the profile's attachments/ that a user could open: every one, unverified downloads are kept elsewhere. */
  private static List<Path> plaintexts(Device device) throws Exception {
    Path root = device.directory().resolve("attachments");
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  private Path file(String name, byte[] bytes) throws Exception {
    return Files.write(dir.resolve(name), bytes);
  }

  private Path copy(Path file, String name) throws Exception {
    return Files.copy(file, dir.resolve(name));
  }

  private static byte[] pdf(int size) {
    byte[] bytes = random(size);
    System.arraycopy("%PDF-1.7\n".getBytes(), 0, bytes, 0, 9);
    return bytes;
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }
}
