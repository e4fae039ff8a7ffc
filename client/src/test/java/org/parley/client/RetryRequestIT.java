package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.client.events.WaitingEvent;
import org.parley.client.net.ServerException;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RetryRequest;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.DecryptionErrorMessage;

/**
 * Retry requests against a real server: a message a device cannot decrypt (its session or the
 * sender's group key lost) is asked for again and arrives once; the placeholder that stood for it
 * goes. Nobody else gets it by asking: not the operator with a key of its own, not another contact.
 */
@WithTestServer
class RetryRequestIT {
  static final String ALICE = "+15550002001";
  static final String BOB = "+15550002002";
  static final String CAROL = "+15550002003";

  @TempDir Path dir;
  TestServer server;
  Operator operator;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
    this.operator = new Operator(server);
  }

  @Test
  void aReceiverWhoseSessionWasWipedAsksAndGetsTheMessageOnce() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      alice.sendText(BOB, "first");
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("first");
      receive(alice);
      bob.contextForTests().signal.deleteSession(new SignalProtocolAddress(id(ALICE).toString(), 1));

      alice.sendText(BOB, "second");
      List<ClientEvent> failed = receive(bob);
      assertThat(messages(failed)).isEmpty();
      assertThat(waiting(failed)).singleElement()
          .satisfies(w -> assertThat(w.state()).isEqualTo(WaitingEvent.WAITING))
          .satisfies(w -> assertThat(w.from()).isEqualTo(ALICE));
      assertThat(bob.history(ALICE, null, 10)).extracting(MessageEvent::status).containsExactly("unread", "waiting");

      receive(alice); // takes the request in and sends "second" again, to bob's device only
      List<ClientEvent> again = receive(bob);
      assertThat(messages(again)).extracting(MessageEvent::body).containsExactly("second");
      assertThat(bob.history(ALICE, null, 10)).extracting(MessageEvent::body).containsExactly("first", "second");

      receive(alice);
      assertThat(messages(receive(bob))).as("once").isEmpty();
      alice.sendText(BOB, "third");
      assertThat(messages(receive(bob))).as("the fresh session goes on").extracting(MessageEvent::body)
          .containsExactly("third");
    }
  }

  @Test
  void anOwnCompanionWhoseSessionWithThePrimaryWasWipedGetsTheTranscriptAgain() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device laptop = Accounts.linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop")) {
      receive(laptop);
      alice.sendText(BOB, "first");
      assertThat(messages(receive(laptop))).extracting(MessageEvent::body).containsExactly("first");
      laptop.contextForTests().signal.deleteSession(new SignalProtocolAddress(id(ALICE).toString(), 1));

      alice.sendText(BOB, "second");
      assertThat(waiting(receive(laptop))).singleElement().satisfies(w -> assertThat(w.from()).isEqualTo(ALICE));
      receive(alice);
      assertThat(messages(receive(laptop))).extracting(MessageEvent::body).containsExactly("second");
      assertThat(laptop.history(BOB, null, 10)).extracting(MessageEvent::body).containsExactly("first", "second");
    }
  }

  @Test
  void aGroupMessageWhoseSenderKeyIsMissingIsAskedForAndTheKeyComesWithIt() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      String group = alice.groups().create("climbing", List.of(BOB)).id();
      receive(bob);
      alice.groups().sendText(group, "g1");
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("g1");
      bob.contextForTests().profile.transaction(c -> {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM sender_keys WHERE account_id = ?")) {
          delete.setString(1, id(ALICE).toString());
          return delete.executeUpdate();
        }
      });

      alice.groups().sendText(group, "g2");
      List<ClientEvent> failed = receive(bob);
      assertThat(messages(failed)).isEmpty();
      assertThat(waiting(failed)).singleElement().satisfies(w -> assertThat(w.group()).isEqualTo(group));

      receive(alice);
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("g2");
      assertThat(bob.history(null, group, 10)).filteredOn(m -> m.kind() == null).extracting(MessageEvent::body)
          .containsExactly("g1", "g2");
      receive(alice);
      assertThat(messages(receive(bob))).as("once").isEmpty();

      alice.groups().sendText(group, "g3");
      assertThat(messages(receive(bob))).as("the group key came with it").extracting(MessageEvent::body)
          .containsExactly("g3");
    }
  }

  @Test
  void askingIsBoundedAndThePlaceholderSaysWhenItIsGivenUp() {
    MutableClock clock = MutableClock.now();
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB, new ClientConfig(clock, null))) {
      alice.sendText(BOB, "first");
      receive(bob);
      bob.contextForTests().signal.deleteSession(new SignalProtocolAddress(id(ALICE).toString(), 1));
      alice.sendText(BOB, "lost"); // alice never comes online to answer

      assertThat(waiting(receive(bob))).singleElement().satisfies(w -> assertThat(w.state()).isEqualTo("waiting"));
      int asks = 1;
      List<WaitingEvent> givenUp = List.of();
      while (givenUp.isEmpty() && asks < 10) {
        clock.advance(Duration.ofHours(1).plusMinutes(1));
        bob.abortConnection();
        givenUp = waiting(receive(bob));
        asks++;
      }
      assertThat(givenUp).singleElement().satisfies(w -> assertThat(w.state()).isEqualTo(WaitingEvent.GIVEN_UP));
      assertThat(operator.queued(ALICE, 1)).as("asked 3 times, no more").hasSize(3 + 1);
      assertThat(bob.history(ALICE, null, 10)).extracting(MessageEvent::status).containsExactly("unread", "given-up");
    }
  }

  @Test
  void theOperatorCannotGetAMessageSentAgainToAKeyOfItsOwn() throws Exception {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      long sent = alice.sendText(BOB, "for bob only").timestamp();
      receive(bob);
      receive(alice);

      Operator.Forger forger = operator.forger(BOB, 1);
      forger.send(ALICE, 1, retryRequest(sent, 1));
      alice.abortConnection();
      List<ClientEvent> events = receive(alice);

      assertThat(events).filteredOn(UntrustedEvent.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((UntrustedEvent) e).reason()).isEqualTo("identity-not-vouched"));
      List<Envelope> toBob = operator.queued(BOB, 1);
      for (Envelope envelope : toBob) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> forger.read(ALICE, 1, envelope))
            .isInstanceOf(Exception.class);
      }
      assertThat(messages(receive(bob))).as("nothing sent again").isEmpty();
    }
  }

  @Test
  void aContactWhoWasNotSentTheMessageGetsNothingByAskingForIt() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device carol = register(server, dir.resolve("carol"), CAROL)) {
      alice.sendText(CAROL, "hello carol");
      receive(carol);
      long sent = alice.sendText(BOB, "for bob only").timestamp();
      receive(bob);
      receive(alice);

      carol.sendToDeviceForTests(id(ALICE), 1, retryRequest(sent, 1), System.currentTimeMillis());
      receive(alice);

      assertThat(requestsFrom(alice, id(CAROL))).as("the request was taken in").isEqualTo(1);
      assertThat(messages(receive(carol))).as("carol was never sent it").isEmpty();
      assertThat(carol.history(ALICE, null, 10)).extracting(MessageEvent::body).containsExactly("hello carol");
    }
  }

  /** How many requests for a message the device has taken in from {@code requester}, answered or not. */
  static int requestsFrom(Device device, UUID requester) {
    return device.contextForTests().profile.read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT COUNT(*) FROM resends WHERE requester = ?")) {
        select.setString(1, requester.toString());
        try (var rs = select.executeQuery()) {
          return rs.next() ? rs.getInt(1) : 0;
        }
      }
    });
  }

  @Test
  void garbageUnderAVouchedDevicesNameIsReportedAckedAndReceivingGoesOn() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      alice.sendText(BOB, "first");
      receive(bob);
      operator.inject(ALICE, 1, BOB, 1, CiphertextType.WHISPER, "not a signal message".getBytes());
      alice.sendText(BOB, "after the garbage");
      bob.abortConnection();

      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("after the garbage");
      assertThat(operator.queued(BOB, 1)).isEmpty();
    }
  }

  @Test
  void aSingleDeviceSendReachesOneExistingDeviceUnderItsRegistrationIdAndNoMore() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      int registrationId =
          server.server().storage().accounts().device(operator.device(BOB, 1)).orElseThrow().registrationId();
      OutgoingMessage one = envelope(BOB, 1, registrationId);
      assertThat(refusal(alice, single().addMessages(one).addMessages(envelope(BOB, 2, 1))))
          .as("two envelopes").isEqualTo(Status.BAD_REQUEST);
      assertThat(refusal(alice, single().addMessages(envelope(BOB, 7, registrationId))))
          .as("a device that does not exist").isEqualTo(Status.MISMATCHED_DEVICES);
      assertThat(refusal(alice, single().addMessages(envelope(BOB, 1, registrationId + 1))))
          .as("an old registration id").isEqualTo(Status.STALE_DEVICES);
      assertThat(refusal(alice, single().addMessages(envelope(ALICE, 1, 1))))
          .as("itself").isEqualTo(Status.BAD_REQUEST);
      assertThat(operator.queued(BOB, 1)).isEmpty();

      alice.callForTests(Request.newBuilder().setSendMessage(single().addMessages(one)));
      assertThat(operator.queued(BOB, 1)).hasSize(1);
    }
  }

  private SendMessage.Builder single() {
    return SendMessage.newBuilder().setTimestamp(System.currentTimeMillis()).setSingleDevice(true).setNoSync(true);
  }

  private OutgoingMessage envelope(String phone, int device, int registrationId) {
    return OutgoingMessage.newBuilder()
        .setDestinationAccount(id(phone).toString())
        .setDestinationDevice(device)
        .setDestinationRegistrationId(registrationId)
        .setType(CiphertextType.WHISPER)
        .setContent(ByteString.copyFromUtf8("opaque to the server"))
        .build();
  }

  private static Status refusal(Device device, SendMessage.Builder send) {
    try {
      device.callForTests(Request.newBuilder().setSendMessage(send));
      return Status.OK;
    } catch (ServerException e) {
      return e.status();
    }
  }

  private UUID id(String phone) {
    return operator.account(phone).id();
  }

  /** What a device that could not decrypt a message sends its sender: the message's timestamp, and no more. */
  static Content retryRequest(long timestamp, int senderDevice) {
    DecryptionErrorMessage error =
        DecryptionErrorMessage.forOriginalMessage(new byte[0], CiphertextMessage.SENDERKEY_TYPE, timestamp, senderDevice);
    return Content.newBuilder()
        .setRetryRequest(RetryRequest.newBuilder().setDecryptionError(ByteString.copyFrom(error.serialize())))
        .build();
  }

  static List<WaitingEvent> waiting(List<ClientEvent> events) {
    return events.stream().filter(WaitingEvent.class::isInstance).map(WaitingEvent.class::cast).toList();
  }
}
