package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;
import static org.parley.client.Accounts.linkByUri;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.register;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.GroupEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReadEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerException;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.GroupChangeSignatures;
import org.parley.protocol.wire.ChangeGroup;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.GetGroup;
import org.parley.protocol.wire.MembershipChange;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendGroupMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.testing.TestServer;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.message.SenderKeyMessage;

/** Groups with Sender Keys (DESIGN.md §9): fan-out to every device, rotation on removal, access. */
class GroupsIT {
  static final String ALICE = "+15550000801";
  static final String BOB = "+15550000802";
  static final String CAROL = "+15550000803";
  static final String DAVE = "+15550000804";

  @TempDir Path dir;
  TestServer server;
  final List<Device> open = new ArrayList<>();

  @BeforeEach
  void startServer() {
    // Three members at most, so that the limit can be met without registering a crowd.
    server =
        TestServer.start(
            dir.resolve("server"), Clock.systemUTC(),
            b -> b.limits(Limits.defaults().toBuilder().maxGroupMembers(3).build()));
  }

  @AfterEach
  void closeAll() {
    open.forEach(Device::close);
    server.close();
  }

  Device keep(Device device) {
    open.add(device);
    return device;
  }

  @Test
  void aMessageFromAnyDeviceReachesEveryOtherDeviceOfEveryMemberAndShowsAsSentOnTheSendersOthers() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device laptop = keep(linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop"));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device carol = keep(register(server, dir.resolve("carol"), CAROL));

    GroupChats.GroupView group = alice.groups().create("climbing", List.of(BOB, CAROL));
    assertThat(group.admin()).isTrue();
    assertThat(group.members()).extracting(GroupChats.MemberView::phone, GroupChats.MemberView::admin)
        .containsExactly(tuple(ALICE, true), tuple(BOB, false), tuple(CAROL, false));
    String id = group.id();

    alice.groups().sendText(id, "from alice's phone");
    for (Device member : List.of(bob, carol)) {
      List<ClientEvent> events = receiveMessages(member, 1);
      assertThat(events).filteredOn(GroupEvent.class::isInstance).singleElement()
          .satisfies(e -> assertThat((GroupEvent) e).extracting(GroupEvent::kind, GroupEvent::group, GroupEvent::by)
              .containsExactly("created", id, ALICE));
      assertThat(messages(events)).singleElement().satisfies(m -> assertMessage(m, "message", ALICE, 1, id, "from alice's phone"));
    }
    assertThat(messages(receiveMessages(laptop, 1)))
        .singleElement().satisfies(m -> assertMessage(m, "sent", ALICE, 1, id, "from alice's phone"));

    bob.groups().sendText(id, "from bob");
    for (Device device : List.of(alice, laptop, carol)) {
      assertThat(messages(receiveMessages(device, 1)))
          .singleElement().satisfies(m -> assertMessage(m, "message", BOB, 1, id, "from bob"));
    }

    laptop.groups().sendText(id, "from alice's laptop");
    for (Device member : List.of(bob, carol)) {
      assertThat(messages(receiveMessages(member, 1)))
          .singleElement().satisfies(m -> assertMessage(m, "message", ALICE, 2, id, "from alice's laptop"));
    }
    assertThat(messages(receiveMessages(alice, 1)))
        .singleElement().satisfies(m -> assertMessage(m, "sent", ALICE, 2, id, "from alice's laptop"));

    for (Device device : List.of(alice, laptop, bob, carol)) {
      assertThat(device.history(null, id, 10))
          .filteredOn(m -> m.kind() == null)
          .extracting(MessageEvent::body)
          .containsExactly("from alice's phone", "from bob", "from alice's laptop");
    }
    assertThat(alice.history(BOB, null, 10)).as("group messages stay out of the 1:1 chat").isEmpty();

    // Reading the group on the laptop marks it read on the phone too (read sync with the group's id).
    assertThat(laptop.groups().markRead(id)).isEqualTo(1);
    assertThat(receiveUntil(alice, e -> e.stream().anyMatch(ReadEvent.class::isInstance)))
        .filteredOn(ReadEvent.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((ReadEvent) e).group()).isEqualTo(id));
    assertThat(alice.history(null, id, 10)).filteredOn(m -> m.type().equals("message"))
        .extracting(MessageEvent::status).containsExactly("read");
  }

  /**
   * The operator serves one member a pre-key bundle whose signature does not verify: the sessions
   * started with the others in the same batch stay (their one-time pre-keys are spent), and they
   * get the group; only that member's device is left out.
   */
  @Test
  void oneInvalidBundleLeavesOutOnlyThatDevice() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    keep(register(server, dir.resolve("bob"), BOB));
    Device carol = keep(register(server, dir.resolve("carol"), CAROL));
    var bob = server.server().storage().accounts().byPhone(BOB).orElseThrow();
    byte[] forged = org.signal.libsignal.protocol.ecc.ECKeyPair.generate().getPublicKey().serialize();
    server.server().storage().keys().upload(
        new DeviceAddress(bob.id(), 1),
        new org.parley.server.store.PreKeys.Upload(
            new org.parley.server.store.PreKeys.Key(4242, forged, new byte[64]), null, List.of(), List.of()));

    String id = alice.groups().create("one bad bundle", List.of(BOB, CAROL)).id();
    alice.groups().sendText(id, "carol still reads this");

    assertThat(messages(receiveMessages(carol, 1))).extracting(MessageEvent::body).containsExactly("carol still reads this");
  }

  @Test
  void aRemovedMemberCannotReadWhatIsSentAfterEvenWithTheCiphertext() throws Exception {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device carol = register(server, dir.resolve("carol"), CAROL);
    String id = alice.groups().create("before and after", List.of(BOB, CAROL)).id();
    alice.groups().sendText(id, "everyone reads this");
    bob.groups().sendText(id, "bob to everyone");
    assertThat(messages(receiveMessages(carol, 2))).extracting(MessageEvent::body)
        .containsExactly("everyone reads this", "bob to everyone");
    receiveMessages(bob, 1);
    receiveMessages(alice, 1);
    // Sent before the removal but not yet taken by Carol: her old keys open it (the check below can fail).
    alice.groups().sendText(id, "last one before");
    byte[] beforeRemoval = groupCiphertext(carolPrimary(), "last one before", alice);

    GroupChats.GroupView changed = alice.groups().remove(id, CAROL);
    assertThat(changed.members()).extracting(GroupChats.MemberView::phone).containsExactly(ALICE, BOB);
    List<ClientEvent> atBob = receiveMessages(bob, 1);
    assertThat(atBob).filteredOn(GroupEvent.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((GroupEvent) e).removed()).containsExactly(CAROL));
    alice.groups().sendText(id, "after carol left");
    bob.groups().sendText(id, "bob after carol left");

    // Neither sender queued anything more for Carol.
    assertThat(server.server().storage().queues().read(carolPrimary(), 0, 100))
        .extracting(GroupsIT::envelope)
        .extracting(Envelope::getType)
        .containsOnly(CiphertextType.SENDER_KEY, CiphertextType.SERVER)
        .hasSize(2);
    // But suppose she captured what the others got.
    byte[] fromAlice = groupCiphertext(bobPrimary(), "after carol left", alice);
    byte[] fromBob = groupCiphertext(alicePrimary(), "bob after carol left", bob);
    carol.close();

    // Carol's keys as they stood, copied, so that trying them leaves her own device untouched.
    Path snapshot = copy(dir.resolve("carol"), dir.resolve("carol-snapshot"));
    try (ProfileStore profile = ProfileStore.open(snapshot)) {
      SignalStore carolsKeys = new SignalStore(profile, java.time.Clock.systemUTC());
      SignalProtocolAddress aliceDevice = new SignalProtocolAddress(account(ALICE).toString(), 1);
      SignalProtocolAddress bobDevice = new SignalProtocolAddress(account(BOB).toString(), 1);
      assertThat(new GroupCipher(carolsKeys, aliceDevice).decrypt(beforeRemoval)).isNotEmpty();

      assertThatThrownBy(() -> new GroupCipher(carolsKeys, aliceDevice).decrypt(fromAlice))
          .isInstanceOf(NoSessionException.class);
      assertThatThrownBy(() -> new GroupCipher(carolsKeys, bobDevice).decrypt(fromBob))
          .isInstanceOf(NoSessionException.class);
      assertThat(new SenderKeyMessage(fromAlice).getDistributionId())
          .as("alice rotated her sender key")
          .isNotEqualTo(new SenderKeyMessage(beforeRemoval).getDistributionId());
    }

    try (Device carolAgain = Device.open(dir.resolve("carol"), ClientConfig.defaults())) {
      List<ClientEvent> events = receiveUntil(carolAgain, e -> e.stream().anyMatch(GroupEvent.class::isInstance));
      assertThat(events).filteredOn(GroupEvent.class::isInstance).singleElement()
          .satisfies(e -> assertThat((GroupEvent) e).extracting(GroupEvent::kind, GroupEvent::removed)
              .containsExactly("removed", List.of(CAROL)));
      assertThat(messages(events)).extracting(MessageEvent::body).containsExactly("last one before");
      assertThatThrownBy(() -> carolAgain.groups().sendText(id, "can I still post?"))
          .isInstanceOf(ClientException.class).hasMessageContaining("not a member");
      assertThat(carolAgain.groups().list()).isEmpty();
    }
    assertThat(messages(receiveMessages(alice, 1))).extracting(MessageEvent::body).containsExactly("bob after carol left");
  }

  @Test
  void aCompanionLinkedAfterTheGroupWasCreatedReceivesLaterMessagesAndSendsToTheGroup() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    String id = alice.groups().create("later", List.of(BOB)).id();
    alice.groups().sendText(id, "before the laptop");
    receiveMessages(bob, 1);

    Device laptop = keep(linkByUri(server, bob, dir.resolve("bob-laptop"), "laptop"));
    // Alice's view of Bob's devices is out of date: the server refuses, she refreshes, hands her key
    // to the laptop and sends again.
    alice.groups().sendText(id, "after the laptop");
    assertThat(messages(receiveMessages(laptop, 1)))
        .singleElement().satisfies(m -> assertMessage(m, "message", ALICE, 1, id, "after the laptop"));
    assertThat(messages(receiveMessages(bob, 1))).extracting(MessageEvent::body).containsExactly("after the laptop");

    laptop.groups().sendText(id, "hello from bob's laptop");
    assertThat(messages(receiveMessages(alice, 1)))
        .singleElement().satisfies(m -> assertMessage(m, "message", BOB, 2, id, "hello from bob's laptop"));
    assertThat(messages(receiveMessages(bob, 1)))
        .singleElement().satisfies(m -> assertMessage(m, "sent", BOB, 2, id, "hello from bob's laptop"));
    assertThat(laptop.groups().list()).extracting(GroupChats.GroupView::id).containsExactly(id);
  }

  @Test
  void aMemberWhoRegistersAgainGetsTheKeysOnItsNewPhoneAndTheOldPhoneNothingNew() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    String id;
    try (Device oldBob = register(server, dir.resolve("bob-old"), BOB)) {
      id = alice.groups().create("same number", List.of(BOB)).id();
      alice.groups().sendText(id, "to the old phone");
      assertThat(messages(receiveMessages(oldBob, 1))).extracting(MessageEvent::body).containsExactly("to the old phone");
    }
    Device newBob = keep(register(server, dir.resolve("bob-new"), BOB));

    // The old phone held Alice's key: the server says "stale", she rotates and hands the new key over.
    alice.groups().sendText(id, "to the new phone");
    assertThat(messages(receiveMessages(newBob, 1)))
        .singleElement().satisfies(m -> assertMessage(m, "message", ALICE, 1, id, "to the new phone"));
    newBob.groups().sendText(id, "new phone, same group");
    assertThat(messages(receiveUntil(alice, e -> !messages(e).isEmpty()))).extracting(MessageEvent::body)
        .containsExactly("new phone, same group");
  }

  @Test
  void nonMembersCannotPostOrReadTheGroupAndNonAdminsCannotChangeIt() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device carol = keep(register(server, dir.resolve("carol"), CAROL));
    keep(register(server, dir.resolve("dave"), DAVE));
    String id = alice.groups().create("members only", List.of(BOB)).id();

    assertRefused(
        () -> carol.online().call(Request.newBuilder().setGetGroup(GetGroup.newBuilder().setGroupId(id))),
        Status.FORBIDDEN, "not a member");
    assertRefused(
        () -> carol.online().call(
            Request.newBuilder()
                .setSendGroupMessage(
                    SendGroupMessage.newBuilder().setGroupId(id).setContent(ByteString.copyFromUtf8("let me in")))),
        Status.FORBIDDEN, "only its members may post");
    assertThatThrownBy(() -> carol.groups().sendText(id, "hello?"))
        .isInstanceOf(ClientException.class).hasMessageContaining("not a member");
    // Carol signs a change that adds herself; Bob, a member but not an admin, one that removes Alice.
    assertRefused(
        () -> carol.online().call(signedChange(carol, id, 2, List.of(ALICE, BOB, CAROL), List.of(ALICE), CAROL, null)),
        Status.FORBIDDEN, "not a member");
    assertThatThrownBy(() -> bob.groups().add(id, DAVE))
        .isInstanceOf(ClientException.class).hasMessageContaining("only an admin");
    assertRefused(
        () -> bob.online().call(signedChange(bob, id, 2, List.of(BOB), List.of(BOB), null, ALICE)),
        Status.FORBIDDEN, "not an admin");

    alice.groups().add(id, CAROL);
    assertRefused(() -> alice.groups().add(id, DAVE), Status.LIMIT_REACHED, "at most 3 members");

    // The last admin leaves: the longest-standing member takes over, and may now change the group.
    alice.groups().leave(id);
    GroupChats.GroupView afterAlice = bob.groups().remove(id, CAROL);
    assertThat(afterAlice.members()).extracting(GroupChats.MemberView::phone, GroupChats.MemberView::admin)
        .containsExactly(tuple(BOB, true));
    assertThat(alice.groups().list()).isEmpty();
  }

  // ---------------------------------------------------------------- helpers

  /** A membership change signed by {@code by}'s own identity key, as a raw request. */
  Request.Builder signedChange(
      Device by, String group, long version, List<String> members, List<String> admins, String added, String removed) {
    MembershipChange.Builder change =
        MembershipChange.newBuilder()
            .setGroupId(group)
            .setVersion(version)
            .setName("members only")
            .setSignerAccount(by.local().account().toString())
            .setSignerDevice(by.local().deviceId())
            .setIssuedAt(System.currentTimeMillis());
    members.forEach(m -> change.addMembers(account(m).toString()));
    admins.forEach(a -> change.addAdmins(account(a).toString()));
    if (added != null) {
      change.addAdded(account(added).toString());
    }
    if (removed != null) {
      change.addRemoved(account(removed).toString());
    }
    try (ProfileStore profile = ProfileStore.open(by.directory())) {
      IdentityKeyPair identity = new SignalStore(profile, java.time.Clock.systemUTC()).getIdentityKeyPair();
      return Request.newBuilder()
          .setChangeGroup(ChangeGroup.newBuilder().setChange(GroupChangeSignatures.sign(change.build(), identity)));
    }
  }

  static void assertMessage(MessageEvent m, String type, String from, int fromDevice, String group, String body) {
    assertThat(m).extracting(
            MessageEvent::type, MessageEvent::from, MessageEvent::fromDevice, MessageEvent::group,
            MessageEvent::body, MessageEvent::to)
        .containsExactly(type, from, fromDevice, group, body, null);
  }

  static void assertRefused(Runnable call, Status status, String reason) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.status()).isEqualTo(status))
        .hasMessageContaining(reason);
  }

  /** Receives until the device has taken in {@code count} messages, failing on any it could not decrypt. */
  static List<ClientEvent> receiveMessages(Device device, int count) {
    List<ClientEvent> events = receiveUntil(device, e -> messages(e).size() >= count);
    assertThat(events).filteredOn(WarningEvent.class::isInstance).isEmpty();
    return events;
  }

  /** Short receive rounds until the events satisfy the condition: fast, and no fixed waits. */
  static List<ClientEvent> receiveUntil(Device device, java.util.function.Predicate<List<ClientEvent>> done) {
    List<ClientEvent> events = new CopyOnWriteArrayList<>();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> {
      device.receive(Duration.ofMillis(300), events::add);
      return done.test(events);
    });
    return new ArrayList<>(events);
  }

  UUID account(String phone) {
    return server.server().storage().accounts().byPhone(phone).orElseThrow().id();
  }

  DeviceAddress alicePrimary() {
    return new DeviceAddress(account(ALICE), 1);
  }

  DeviceAddress bobPrimary() {
    return new DeviceAddress(account(BOB), 1);
  }

  DeviceAddress carolPrimary() {
    return new DeviceAddress(account(CAROL), 1);
  }

  /**
   * The sender-key ciphertext of a group message still queued for a device, as anyone with a copy
   * of the server's store would see it. Which one is picked by decrypting with the sender's own
   * device is not possible (a sender cannot open its own sender-key messages), so the newest from
   * that sender is taken; {@code body} only names it for the reader.
   */
  byte[] groupCiphertext(DeviceAddress queue, String body, Device from) {
    UUID sender = from.local().account();
    List<Envelope> found =
        server.server().storage().queues().read(queue, 0, 1000).stream()
            .map(GroupsIT::envelope)
            .filter(e -> e.getType() == CiphertextType.SENDER_KEY && e.getSourceAccount().equals(sender.toString()))
            .toList();
    assertThat(found).as("a queued group message from %s (%s)", from.local().phone(), body).isNotEmpty();
    return found.getLast().getContent().toByteArray();
  }

  static Path copy(Path from, Path to) throws java.io.IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()));
      }
    }
    return to;
  }

  static Envelope envelope(QueuedEnvelope queued) {
    try {
      return Envelope.parseFrom(queued.envelope());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
