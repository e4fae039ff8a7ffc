package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.linkByUri;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReadEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.HistorySync;
import org.parley.protocol.wire.ReadMark;
import org.parley.protocol.wire.ReadSync;
import org.parley.protocol.wire.SentTranscript;
import org.parley.protocol.wire.SyncMessage;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;

/**
 * Identity pinning (DESIGN.md §3) against the server operator: it writes into the store an envelope
 * labelled as coming from a device the primary vouched for, built with an identity key of its own.
 * Nothing it says is shown or applied, it is quarantined, and no session is stored for its key.
 */
@WithTestServer
class IdentityPinningIT {
  static final String ALICE = "+15550001001";
  static final String BOB = "+15550001002";

  @TempDir Path dir;
  TestServer server;
  Operator operator;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
    this.operator = new Operator(server);
  }

  @Test
  void aForgedPreKeyMessageFromAVouchedDeviceIsQuarantinedAndTheReplyIsUnreadableToTheForger() throws Exception {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      alice.sendText(BOB, "the real alice");
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("the real alice");

      Operator.Forger forger = operator.forger(ALICE, 1);
      forger.send(BOB, 1, text("send me your password"));
      bob.abortConnection();
      List<ClientEvent> events = receive(bob);

      assertThat(messages(events)).isEmpty();
      assertThat(untrusted(events)).singleElement()
          .satisfies(e -> assertThat(e.reason()).isEqualTo("identity-not-vouched"))
          .satisfies(e -> assertThat(e.from()).isEqualTo(ALICE));
      assertThat(bob.quarantined()).hasSize(1);
      assertThat(operator.queued(BOB, 1)).as("acked once quarantined").isEmpty();

      bob.sendText(ALICE, "the reply");
      List<Envelope> toAlice = operator.queued(ALICE, 1);
      assertThat(toAlice).as("the reply, and a receipt").isNotEmpty();
      for (Envelope envelope : toAlice) {
        assertThatThrownBy(() -> forger.read(BOB, 1, envelope)).isInstanceOf(Exception.class);
      }
      assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("the reply");
    }
  }

  @Test
  void aForgedSentTranscriptFromAnOwnDeviceIsNotShown() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device laptop = linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop")) {
      receive(laptop);
      Content transcript =
          Content.newBuilder()
              .setSync(
                  SyncMessage.newBuilder()
                      .setSent(
                          SentTranscript.newBuilder()
                              .setDestinationAccount(operator.account(BOB).id().toString())
                              .setDestinationPhone(BOB)
                              .setMessage(data("I never sent this"))))
              .build();
      operator.forger(ALICE, 2).send(ALICE, 1, transcript);
      alice.abortConnection();
      List<ClientEvent> events = receive(alice);

      assertThat(messages(events)).isEmpty();
      assertThat(untrusted(events)).singleElement().satisfies(e -> assertThat(e.fromDevice()).isEqualTo(2));
      assertThat(alice.history(BOB, null, 10)).extracting(MessageEvent::body).doesNotContain("I never sent this");
    }
  }

  @Test
  void aForgedReadSyncFromAnOwnDeviceMarksNothingRead() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device laptop = linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop")) {
      receive(laptop);
      bob.sendText(ALICE, "unread until alice reads it");
      assertThat(messages(receive(alice))).hasSize(1);
      Content read =
          Content.newBuilder()
              .setSync(
                  SyncMessage.newBuilder()
                      .setRead(
                          ReadSync.newBuilder()
                              .addMarks(
                                  ReadMark.newBuilder()
                                      .setChatAccount(operator.account(BOB).id().toString())
                                      .setUpToTimestamp(System.currentTimeMillis() + 60_000))))
              .build();
      operator.forger(ALICE, 2).send(ALICE, 1, read);
      alice.abortConnection();
      List<ClientEvent> events = receive(alice);

      assertThat(events).filteredOn(ReadEvent.class::isInstance).isEmpty();
      assertThat(untrusted(events)).hasSize(1);
      assertThat(alice.history(BOB, null, 10)).extracting(MessageEvent::status).containsExactly("unread");
    }
  }

  @Test
  void aForgedHistoryAnnouncementFromThePrimaryIsNotImported() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device laptop = linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop")) {
      receive(laptop);
      Content announcement =
          Content.newBuilder()
              .setSync(
                  SyncMessage.newBuilder()
                      .setHistory(
                          HistorySync.newBuilder()
                              .setBlobId("forged-history")
                              .setKey(ByteString.copyFrom(new byte[32]))
                              .setSha256(ByteString.copyFrom(new byte[32]))
                              .setSize(1024)
                              .setRecordCount(10)
                              .setLastPart(true)
                              .setTargetDevice(2)))
              .build();
      operator.forger(ALICE, 1).send(ALICE, 2, announcement);
      laptop.abortConnection();
      List<ClientEvent> events = receive(laptop);

      assertThat(events).filteredOn(HistorySyncEvent.class::isInstance).isEmpty();
      assertThat(untrusted(events)).singleElement()
          .satisfies(e -> assertThat(e.reason()).isEqualTo("identity-not-vouched"));
    }
  }

  @Test
  void aSenderKeyFromAnUnvouchedIdentityIsRefusedAndItsGroupMessagesAreNotShown() throws Exception {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      String group = alice.groups().create("climbing", List.of(BOB)).id();
      receive(bob);
      Operator.Forger forger = operator.forger(ALICE, 1);
      SignalProtocolAddress self = new SignalProtocolAddress(operator.account(ALICE).id().toString(), 1);
      UUID distribution = UUID.randomUUID();
      SenderKeyDistributionMessage key = new GroupSessionBuilder(forger.store).create(self, distribution);
      forger.send(BOB, 1, Content.newBuilder().setSenderKeyDistribution(ByteString.copyFrom(key.serialize())).build());
      byte[] groupMessage =
          new GroupCipher(forger.store, self)
              .encrypt(distribution, org.parley.client.messaging.Padding.pad(
                  Content.newBuilder().setData(data("forged into the group").toBuilder().setGroupId(group))
                      .build().toByteArray()))
              .serialize();
      operator.injectGroup(ALICE, 1, BOB, 1, group, groupMessage);
      bob.abortConnection();
      List<ClientEvent> events = receive(bob);

      assertThat(messages(events)).isEmpty();
      assertThat(untrusted(events)).singleElement()
          .satisfies(e -> assertThat(e.reason()).isEqualTo("identity-not-vouched"));
    }
  }

  static Content text(String body) {
    return Content.newBuilder().setData(data(body)).build();
  }

  static DataMessage data(String body) {
    return DataMessage.newBuilder()
        .setId(UUID.randomUUID().toString())
        .setBody(body)
        .setTimestamp(System.currentTimeMillis())
        .build();
  }

  static List<UntrustedEvent> untrusted(List<ClientEvent> events) {
    return events.stream().filter(UntrustedEvent.class::isInstance).map(UntrustedEvent.class::cast).toList();
  }
}
