package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.register;
import static org.parley.client.GroupsIT.receiveUntil;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.GroupEvent;
import org.parley.client.events.GroupWarningEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.messaging.RogueDevice;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.GroupChangeSignatures;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Group;
import org.parley.protocol.wire.GroupChange;
import org.parley.protocol.wire.GroupMember;
import org.parley.protocol.wire.MembershipChange;
import org.parley.protocol.wire.SignedMembershipChange;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.Groups.MemberChange;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;
import org.signal.libsignal.protocol.IdentityKeyPair;

/**
 * DESIGN.md §9 against the operator, who holds the server's store: it can withhold a membership
 * change, but a change no admin signed is not believed, a member it adds on its own gets no group key
 * and the members are warned, and what a non-member sends to the group is refused.
 */
@WithTestServer
class SignedGroupChangesIT {
  static final String ALICE = "+15550001101";
  static final String BOB = "+15550001102";
  static final String CAROL = "+15550001103";
  static final String EVE = "+15550001104";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  /**
   * Members added, removed or made admins together are one signed change: every member's devices
   * take in one notice for it, not one per member named (n newcomers to a group of n would otherwise
   * queue n² notices).
   */
  @Test
  void membersChangedTogetherCostEachDeviceOneNotice() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      register(server, dir.resolve("carol"), CAROL).close();
      register(server, dir.resolve("eve"), EVE).close();
      String group = alice.groups().create("crowd", List.of(BOB)).id();
      assertThat(notices(BOB)).isEqualTo(1);

      assertThat(alice.groups().add(group, List.of(CAROL, EVE)).version()).isEqualTo(2);
      assertThat(notices(BOB)).isEqualTo(2);
      assertThat(alice.groups().setAdmin(group, List.of(BOB, CAROL), true).version()).isEqualTo(3);
      assertThat(notices(BOB)).isEqualTo(3);
      assertThat(alice.groups().remove(group, List.of(CAROL, EVE)).members()).extracting(GroupChats.MemberView::phone)
          .containsExactly(ALICE, BOB);
      assertThat(notices(BOB)).isEqualTo(4);

      List<ClientEvent> events = receiveUntil(bob, e -> e.stream().filter(GroupEvent.class::isInstance).count() == 4);
      assertThat(events).filteredOn(GroupEvent.class::isInstance).map(GroupEvent.class::cast)
          .extracting(GroupEvent::kind, GroupEvent::added, GroupEvent::removed)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("created", List.of(ALICE, BOB), List.of()),
              org.assertj.core.groups.Tuple.tuple("added", List.of(CAROL, EVE), List.of()),
              org.assertj.core.groups.Tuple.tuple("admins", List.of(), List.of()),
              org.assertj.core.groups.Tuple.tuple("removed", List.of(), List.of(CAROL, EVE)));
    }
  }

  /** The group notices queued for a member's primary: what the server fans out per change. */
  private long notices(String phone) {
    return server.server().storage().queues().read(new DeviceAddress(account(phone), 1), 0, 1000).stream()
        .map(SignedGroupChangesIT::envelope)
        .filter(e -> e.getType() == CiphertextType.SERVER)
        .count();
  }

  @Test
  void aMemberTheServerAddsOnItsOwnGetsNoSenderKeyAndTheMembersAreWarned() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device eve = register(server, dir.resolve("eve"), EVE)) {
      String group = alice.groups().create("family", List.of(BOB)).id();
      alice.groups().sendText(group, "before");
      receiveUntil(bob, e -> messages(e).size() == 1);

      // The operator writes Eve into the group, with a change it made up, and tells Bob about it.
      MembershipChange forged = change(group, 2, ALICE, List.of(ALICE, BOB, EVE), List.of(ALICE)).addAdded(id(EVE)).build();
      SignedMembershipChange unsigned = SignedMembershipChange.newBuilder().setChange(forged.toByteString()).build();
      server.server().storage().groups()
          .change(UUID.fromString(group), 1, MemberChange.adding(List.of(account(EVE))), unsigned.toByteArray(), now())
          .orElseThrow();
      deliverNotice(BOB, group, forged, unsigned);
      bob.abortConnection();

      List<ClientEvent> atAlice = new CopyOnWriteArrayList<>();
      alice.onEvent(atAlice::add);
      Device.SendResult sent = alice.groups().sendText(group, "family only");

      assertThat(sent.declined()).anyMatch(d -> d.startsWith(EVE + " device 1"));
      assertThat(atAlice).filteredOn(GroupWarningEvent.class::isInstance).map(GroupWarningEvent.class::cast)
          .anySatisfy(w -> assertThat(w).extracting(GroupWarningEvent::code, GroupWarningEvent::group, GroupWarningEvent::phone)
              .containsExactly("unsigned-member", group, EVE));
      assertThat(queuedFrom(EVE, ALICE)).as("no sender key, no message for Eve").isEmpty();

      List<ClientEvent> atBob = receiveUntil(bob, e -> messages(e).size() == 1);
      assertThat(messages(atBob)).extracting(MessageEvent::body).containsExactly("family only");
      assertThat(atBob).filteredOn(GroupWarningEvent.class::isInstance).map(GroupWarningEvent.class::cast)
          .anySatisfy(w -> assertThat(w.code()).isEqualTo("group-change-refused"));
      assertThat(atBob).noneMatch(GroupEvent.class::isInstance);

      // Bob's own copy still has no Eve, whatever the server lists; what he sends does not reach her.
      assertThat(bob.groups().list()).singleElement()
          .satisfies(g -> assertThat(g.members()).extracting(GroupChats.MemberView::phone).containsExactly(ALICE, BOB));
      bob.groups().sendText(group, "from bob");
      assertThat(queuedFrom(EVE, BOB)).isEmpty();
      assertThat(messages(receiveUntil(alice, e -> messages(e).size() == 1))).extracting(MessageEvent::body)
          .containsExactly("from bob");
    }
  }

  @Test
  void aGroupMessageAndSenderKeyFromANonMemberAreRefused() throws Exception {
    String group;
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device eve = register(server, dir.resolve("eve"), EVE)) {
      group = alice.groups().create("family", List.of(BOB)).id();
      // The server lets Eve post (it lists her as a member), and her own software ignores the rules.
      server.server().storage().groups()
          .change(UUID.fromString(group), 1, MemberChange.adding(List.of(account(EVE))), new byte[] {1}, now())
          .orElseThrow();
    }
    try (RogueDevice eve = RogueDevice.open(dir.resolve("eve"))) {
      eve.postToGroup(group, List.of(account(ALICE), account(BOB)), "eve was never added");
    }
    try (Device bob = Device.open(dir.resolve("bob"), ClientConfig.defaults())) {
      List<ClientEvent> events = receiveUntil(bob, e -> refusedFromEve(e).size() >= 2);
      assertThat(messages(events)).isEmpty();
      assertThat(refusedFromEve(events)).as("her group key, then her message").hasSize(2);
      assertThat(bob.history(null, group, 10)).as("only the line of the group's creation")
          .allSatisfy(m -> assertThat(m.kind()).isEqualTo("group"));
    }
  }

  @Test
  void aChangeThatIsUnsignedWronglySignedOrNotAnAdminsIsRefusedAndTheRealOneStillApplies() throws Exception {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device carol = register(server, dir.resolve("carol"), CAROL);
        Device eve = register(server, dir.resolve("eve"), EVE)) {
      String group = alice.groups().create("family", List.of(BOB, CAROL)).id();
      receiveUntil(bob, e -> e.stream().anyMatch(GroupEvent.class::isInstance));

      MembershipChange addEve = change(group, 2, ALICE, List.of(ALICE, BOB, CAROL, EVE), List.of(ALICE)).addAdded(id(EVE)).build();
      // No signature at all; Alice named as signer but Eve's key signing; Carol's real key, but she is no admin;
      // Eve's real key naming herself; and Alice's real creation replayed.
      deliverNotice(BOB, group, addEve, SignedMembershipChange.newBuilder().setChange(addEve.toByteString()).build());
      deliverNotice(BOB, group, addEve, GroupChangeSignatures.sign(addEve, identity("eve")));
      MembershipChange byCarol =
          change(group, 2, CAROL, List.of(ALICE, BOB, CAROL, EVE), List.of(ALICE)).addAdded(id(EVE)).build();
      deliverNotice(BOB, group, byCarol, GroupChangeSignatures.sign(byCarol, identity("carol")));
      MembershipChange byEve = change(group, 2, EVE, List.of(ALICE, BOB, CAROL, EVE), List.of(ALICE, EVE)).addAdded(id(EVE)).build();
      deliverNotice(BOB, group, byEve, GroupChangeSignatures.sign(byEve, identity("eve")));
      SignedMembershipChange creation = SignedMembershipChange.parseFrom(
          server.server().storage().groups().changes(UUID.fromString(group), 0, 1).getFirst());
      deliverNotice(BOB, group, GroupChangeSignatures.parse(creation), creation);

      // Written behind the server's back, they wait for Bob's next connection.
      bob.abortConnection();
      List<ClientEvent> refused = receiveUntil(bob, e -> e.stream().filter(GroupWarningEvent.class::isInstance).count() >= 4);
      assertThat(refused).filteredOn(GroupWarningEvent.class::isInstance).map(GroupWarningEvent.class::cast)
          .extracting(GroupWarningEvent::code).containsExactly(
              "group-change-refused", "group-change-refused", "group-change-refused", "group-change-refused");
      assertThat(refused).noneMatch(GroupEvent.class::isInstance);
      assertThat(groupLines(bob, group)).as("a refused change is no line in the chat")
          .containsExactly(ALICE + " created the group \u201Cfamily\u201D");

      // The real next change, signed by Alice, is believed: the forged ones took no version.
      alice.groups().remove(group, CAROL);
      List<ClientEvent> real = receiveUntil(bob, e -> e.stream().anyMatch(GroupEvent.class::isInstance));
      assertThat(real).filteredOn(GroupEvent.class::isInstance).map(GroupEvent.class::cast).singleElement()
          .satisfies(g -> assertThat(g).extracting(GroupEvent::kind, GroupEvent::by, GroupEvent::removed, GroupEvent::version)
              .containsExactly("removed", ALICE, List.of(CAROL), 2L));
      assertThat(bob.groups().list()).singleElement()
          .satisfies(g -> assertThat(g.members()).extracting(GroupChats.MemberView::phone).containsExactly(ALICE, BOB));
      assertThat(groupLines(bob, group))
          .containsExactly(ALICE + " created the group \u201Cfamily\u201D", ALICE + " removed " + CAROL);
    }
  }

  /** The group change lines in a member's copy of the chat. */
  private static List<String> groupLines(Device device, String group) {
    return device.history(null, group, 100).stream().filter(m -> "group".equals(m.kind())).map(MessageEvent::body).toList();
  }

  private static List<GroupWarningEvent> refusedFromEve(List<ClientEvent> events) {
    return events.stream()
        .filter(GroupWarningEvent.class::isInstance)
        .map(GroupWarningEvent.class::cast)
        .filter(w -> w.code().equals("not-a-member") && EVE.equals(w.phone()))
        .toList();
  }

  // ---------------------------------------------------------------- the operator's tools

  private MembershipChange.Builder change(String group, long version, String signer, List<String> members, List<String> admins) {
    MembershipChange.Builder out =
        MembershipChange.newBuilder()
            .setGroupId(group)
            .setVersion(version)
            .setName("family")
            .setSignerAccount(id(signer))
            .setSignerDevice(1)
            .setIssuedAt(now());
    members.forEach(m -> out.addMembers(id(m)));
    admins.forEach(a -> out.addAdmins(id(a)));
    return out;
  }

  /** Writes a group notice straight into a member's queue, as the operator can. */
  private void deliverNotice(String to, String group, MembershipChange change, SignedMembershipChange signed) {
    Group.Builder described = Group.newBuilder().setGroupId(group).setName("family").setVersion(change.getVersion());
    for (String member : change.getMembersList()) {
      described.addMembers(GroupMember.newBuilder().setAccountId(member));
    }
    GroupChange notice =
        GroupChange.newBuilder()
            .setGroup(described)
            .setActorAccount(change.getSignerAccount())
            .addAllAddedAccounts(change.getAddedList())
            .setSigned(signed)
            .build();
    byte[] guid = new byte[16];
    new SecureRandom().nextBytes(guid);
    Envelope envelope =
        Envelope.newBuilder()
            .setGuid(ByteString.copyFrom(guid))
            .setSourceAccount(change.getSignerAccount())
            .setSourceDevice(1)
            .setDestinationDevice(1)
            .setType(CiphertextType.SERVER)
            .setClientTimestamp(now())
            .setServerTimestamp(now())
            .setContent(notice.toByteString())
            .setGroupId(group)
            .build();
    server.server().storage().queues()
        .append(List.of(new NewEnvelope(new DeviceAddress(account(to), 1), guid, now(), envelope.toByteArray())))
        .join();
  }

  /** What is queued for a device of {@code to} from {@code from}. */
  private List<Envelope> queuedFrom(String to, String from) {
    return server.server().storage().queues().read(new DeviceAddress(account(to), 1), 0, 1000).stream()
        .map(SignedGroupChangesIT::envelope)
        .filter(e -> e.getSourceAccount().equals(id(from)))
        .toList();
  }

  private IdentityKeyPair identity(String profile) {
    try (ProfileStore store = ProfileStore.open(dir.resolve(profile))) {
      return new SignalStore(store, java.time.Clock.systemUTC()).getIdentityKeyPair();
    }
  }

  private UUID account(String phone) {
    return server.server().storage().accounts().byPhone(phone).orElseThrow().id();
  }

  private String id(String phone) {
    return account(phone).toString();
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  private static Envelope envelope(QueuedEnvelope queued) {
    try {
      return Envelope.parseFrom(queued.envelope());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
