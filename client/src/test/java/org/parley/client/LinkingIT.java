package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.link;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReadEvent;
import org.parley.client.events.ReceiptEvent;
import org.parley.client.events.UnlinkedEvent;
import org.parley.client.linking.CompanionLinker;
import org.parley.client.linking.QrCodes;
import org.parley.protocol.wire.DeviceKind;
import org.parley.server.testing.TestServer;

/** Linking companions by QR code (DESIGN.md §4) and keeping every own device in sync. */
class LinkingIT {
  static final String ALICE = "+15550000601";
  static final String BOB = "+15550000602";

  @TempDir Path dir;
  TestServer server;
  final List<Device> open = new ArrayList<>();

  @BeforeEach
  void startServer() {
    server = TestServer.start(dir.resolve("server"));
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
  void fourCompanionsByQrCode_everyDeviceGetsEverything_aFifthIsRefused() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    String safetyNumberBefore = bob.safetyNumber(ALICE);
    List<Device> companions = new ArrayList<>();
    for (int i = 2; i <= 5; i++) {
      companions.add(keep(link(server, alice, dir.resolve("alice-" + i), "companion " + i)));
    }
    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1, 2, 3, 4, 5);
    List<Device> all = new ArrayList<>(companions);
    all.addFirst(alice);

    bob.sendText(ALICE, "to all five of you");
    for (Device device : all) {
      assertThat(messages(receive(device))).extracting(MessageEvent::body).containsExactly("to all five of you");
    }

    Device third = companions.get(1);
    third.sendText(BOB, "answered from the third device");
    assertThat(messages(receive(bob))).singleElement().satisfies(m -> {
      assertThat(m.body()).isEqualTo("answered from the third device");
      assertThat(m.fromDevice()).isEqualTo(3);
    });
    for (Device device : all) {
      if (device != third) {
        assertThat(messages(receive(device))).singleElement().satisfies(m -> {
          assertThat(m.type()).isEqualTo("sent");
          assertThat(m.to()).isEqualTo(BOB);
          assertThat(m.fromDevice()).isEqualTo(3);
        });
      }
    }
    assertThat(bob.safetyNumber(ALICE)).isEqualTo(safetyNumberBefore);

    // The fifth companion: refused on the primary and told so while it waits.
    Device fifth = keep(Device.open(dir.resolve("alice-6"), ClientConfig.defaults()));
    CompletableFuture<String> shown = new CompletableFuture<>();
    CompletableFuture<CompanionLinker.Result> waiting =
        CompletableFuture.supplyAsync(
            () -> fifth.link(server.url(), "one too many", DeviceKind.PHONE, i -> shown.complete(i.uri())),
            task -> Thread.ofPlatform().daemon().start(task));
    assertThatThrownBy(() -> alice.addDevice(shown.get(30, TimeUnit.SECONDS)))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("the most allowed");
    assertThatThrownBy(() -> waiting.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ClientException.class)
        .hasMessageContaining("the most allowed");

    bob.sendText(ALICE, "still all four companions");
    for (Device device : all) {
      assertThat(messages(receive(device))).extracting(MessageEvent::body).containsExactly("still all four companions");
    }
  }

  @Test
  void companionsCarryOnWhileThePrimaryIsNotRunning() {
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device laptop;
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      laptop = keep(link(server, alice, dir.resolve("alice-laptop"), "laptop"));
    }
    laptop.sendText(BOB, "the phone is off");
    assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("the phone is off");
    bob.sendText(ALICE, "no matter");
    assertThat(messages(receive(laptop))).extracting(MessageEvent::body).containsExactly("no matter");

    try (Device alice = Device.open(dir.resolve("alice"), ClientConfig.defaults())) {
      assertThat(messages(receive(alice))).extracting(MessageEvent::type, MessageEvent::body)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("sent", "the phone is off"),
              org.assertj.core.groups.Tuple.tuple("message", "no matter"));
    }
  }

  @Test
  void readingAChatOnOneDeviceMarksItReadOnTheOthersAndTellsTheSender() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device laptop = keep(link(server, alice, dir.resolve("alice-laptop"), "laptop"));
    Device.SendResult sent = bob.sendText(ALICE, "read me");
    receive(alice);
    receive(laptop);
    receive(bob);

    assertThat(laptop.markRead(BOB)).isEqualTo(1);

    List<ClientEvent> onPhone = receive(alice);
    assertThat(onPhone).filteredOn(ReadEvent.class::isInstance).singleElement()
        .satisfies(e -> assertThat(((ReadEvent) e).chat()).isEqualTo(BOB));
    assertThat(alice.history(BOB, null, 10)).singleElement().satisfies(m -> assertThat(m.status()).isEqualTo("read"));
    assertThat(receive(bob)).filteredOn(ReceiptEvent.class::isInstance)
        .extracting(e -> ((ReceiptEvent) e).kind(), e -> ((ReceiptEvent) e).messageIds())
        .contains(org.assertj.core.groups.Tuple.tuple("read", List.of(sent.messageId())));
    assertThat(bob.history(ALICE, null, 10)).singleElement().satisfies(m -> assertThat(m.status()).isEqualTo("read"));
  }

  @Test
  void anUnlinkedCompanionGetsNothingNewAndCannotSend() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device laptop = keep(link(server, alice, dir.resolve("alice-laptop"), "laptop"));
    Device tablet = keep(link(server, alice, dir.resolve("alice-tablet"), "tablet"));
    bob.sendText(ALICE, "before");

    List<ClientEvent> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    laptop.onEvent(told::add);
    alice.unlink(2);

    // The laptop is connected, so the server tells it at once and it remembers why.
    org.awaitility.Awaitility.await().untilAsserted(() ->
        assertThat(told).filteredOn(UnlinkedEvent.class::isInstance).singleElement()
            .satisfies(e -> assertThat(((UnlinkedEvent) e).reason()).isEqualTo("removed-by-primary")));
    assertThat(laptop.local().unlinkedReason()).isEqualTo("removed-by-primary");
    assertThatThrownBy(() -> receive(laptop)).isInstanceOf(ClientException.class).hasMessageContaining("unlinked");
    assertThatThrownBy(() -> laptop.sendText(BOB, "am I still here?"))
        .isInstanceOf(ClientException.class).hasMessageContaining("unlinked");
    assertThat(laptop.history(BOB, null, 10)).isEmpty();

    bob.sendText(ALICE, "after");
    assertThat(messages(receive(tablet))).extracting(MessageEvent::body).containsExactly("before", "after");
    assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("before", "after");
    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1, 3);

    tablet.unlinkSelf();
    assertThatThrownBy(() -> tablet.sendText(BOB, "gone")).hasMessageContaining("unlinked");
    bob.sendText(ALICE, "just the phone now");
    assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("just the phone now");
    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1);
  }

  @Test
  void aQrCodeThatExpiredOrWasNeverShownFailsCleanly() {
    try (TestServer quick =
        TestServer.start(
            dir.resolve("quick"), java.time.Clock.systemUTC(),
            b -> b.limits(org.parley.server.Limits.defaults().toBuilder()
                .provisioningTtl(java.time.Duration.ofMillis(700)).build()))) {
      Device alice = keep(register(quick, dir.resolve("alice"), ALICE));
      Device late = keep(Device.open(dir.resolve("late"), ClientConfig.defaults()));
      List<String> shown = new ArrayList<>();
      assertThatThrownBy(() -> late.link(quick.url(), "late", DeviceKind.WEB, i -> shown.add(i.uri())))
          .isInstanceOf(ClientException.class)
          .hasMessageContaining("expired");
      assertThatThrownBy(() -> alice.addDevice(shown.getFirst()))
          .isInstanceOf(ClientException.class)
          .hasMessageContaining("no device is waiting");

      String forged = shown.getFirst().replaceFirst("addr=[^&]+", "addr=AAAAAAAAAAAAAAAAAAAAAA");
      assertThatThrownBy(() -> alice.addDevice(forged)).hasMessageContaining("no device is waiting");
      assertThat(alice.devices()).hasSize(1);
    }
  }

  @Test
  void aLinkTokenWorksOnceAndAProvisioningMessageNeedsAWaitingDevice() throws Exception {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    java.util.concurrent.BlockingQueue<org.parley.protocol.wire.Push> pushes =
        new java.util.concurrent.LinkedBlockingQueue<>();
    try (org.parley.client.net.ServerConnection waiting =
        org.parley.client.net.ServerConnection.open(
            org.parley.client.net.ServerConnection.Target.provisioning(server.url(), null), pushes::add)) {
      String address = pushes.poll(10, TimeUnit.SECONDS).getProvisioningAddress().getAddress();
      var token =
          alice.online().call(
              org.parley.protocol.wire.Request.newBuilder()
                  .setCreateLinkToken(
                      org.parley.protocol.wire.CreateLinkToken.newBuilder().setProvisioningAddress(address)))
              .getLinkToken();
      var attempt =
          org.parley.protocol.wire.Request.newBuilder()
              .setLinkDevice(org.parley.protocol.wire.LinkDevice.newBuilder().setToken(token.getToken()));

      assertThatThrownBy(() -> waiting.call(attempt.clone()))
          .isInstanceOf(org.parley.client.net.ServerException.class);
      assertThatThrownBy(() -> waiting.call(attempt.clone()))
          .isInstanceOfSatisfying(
              org.parley.client.net.ServerException.class,
              e -> assertThat(e.status()).isEqualTo(org.parley.protocol.wire.Status.CONFLICT))
          .hasMessageContaining("already used");

      assertThatThrownBy(() -> alice.online().call(
              org.parley.protocol.wire.Request.newBuilder()
                  .setSendProvisioning(
                      org.parley.protocol.wire.SendProvisioning.newBuilder()
                          .setAddress("no-such-address")
                          .setBody(com.google.protobuf.ByteString.copyFromUtf8("hello")))))
          .isInstanceOfSatisfying(
              org.parley.client.net.ServerException.class,
              e -> assertThat(e.status()).isEqualTo(org.parley.protocol.wire.Status.NOT_FOUND));
    }
    assertThat(alice.devices()).hasSize(1);
  }

  @Test
  void theQrCodeRoundTripsThroughAPng() {
    String uri = "parley://link?v=1&addr=abc&pub=x&id=y&kind=web&name=a%20b";
    Path png = dir.resolve("code.png");
    QrCodes.writePng(uri, png);
    assertThat(QrCodes.readPng(png)).isEqualTo(uri);
    assertThat(QrCodes.terminal(uri)).contains("█").contains("▀");
  }
}
