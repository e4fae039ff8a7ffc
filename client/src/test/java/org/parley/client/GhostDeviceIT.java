package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.link;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerConnection;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.server.auth.Credentials;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;

/**
 * DESIGN.md §3: the server can withhold a device but never add one. A device that is on the
 * server's record but not vouched for by the primary's signed list gets nothing from anyone, and
 * what it sends is dropped; a list with a broken signature or an older version is refused.
 */
@WithTestServer
class GhostDeviceIT {
  static final String ALICE = "+15550000701";
  static final String BOB = "+15550000702";
  static final String CAROL = "+15550000703";
  static final int GHOST = 9;

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void aDeviceSlippedIntoTheStoreGetsNothingAndIsNotBelieved() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      bob.sendText(ALICE, "hello before the ghost");
      receive(alice);
      byte[] ghostSecret = slipInGhost(ALICE);

      List<ClientEvent> warnings = new CopyOnWriteArrayList<>();
      bob.onEvent(warnings::add);
      Device.SendResult sent = bob.sendText(ALICE, "meant for alice only");
      assertThat(sent.declined()).containsExactly(ALICE + " device " + GHOST);
      assertThat(warnings).filteredOn(WarningEvent.class::isInstance)
          .extracting(e -> ((WarningEvent) e).code()).contains("untrusted-device");
      alice.sendText(BOB, "and my own devices are not fooled either");

      assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("meant for alice only");
      assertThat(server.server().storage().queues().length(ghostAddress(ALICE))).isZero();

      // The ghost speaks: Bob quarantines it, because Alice's primary never vouched for it.
      sendAsGhost(ALICE, ghostSecret, BOB);
      List<ClientEvent> atBob = receive(bob);
      assertThat(messages(atBob)).extracting(MessageEvent::body)
          .containsExactly("and my own devices are not fooled either");
      assertThat(atBob).filteredOn(UntrustedEvent.class::isInstance).map(UntrustedEvent.class::cast)
          .singleElement()
          .satisfies(e -> assertThat(e.reason()).isEqualTo("unvouched-device"))
          .satisfies(e -> assertThat(e.fromDevice()).isEqualTo(GHOST));
    }
  }

  @Test
  void aGhostInAMembersAccountGetsNoGroupMessageNorSenderKey() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      String group = alice.groups().create("with a ghost", List.of(BOB)).id();
      slipInGhost(BOB);

      Device.SendResult sent = alice.groups().sendText(group, "members only");

      assertThat(sent.declined()).contains(BOB + " device " + GHOST);
      assertThat(server.server().storage().queues().length(ghostAddress(BOB))).isZero();
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("members only");
    }
  }

  @Test
  void aListWithABrokenSignatureOrAnOlderVersionIsRefused() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device carol = register(server, dir.resolve("carol"), CAROL)) {
      Accounts store = server.server().storage().accounts();
      Account before = store.byPhone(ALICE).orElseThrow();
      byte[] olderList = before.deviceList();
      link(server, alice, dir.resolve("alice-laptop"), "laptop").close();

      // Bob has seen the newer list; the server now offers him the older one.
      assertThat(bob.safetyNumber(ALICE)).isNotBlank();
      Account current = store.byPhone(ALICE).orElseThrow();
      store.putDeviceList(current.id(), current.deviceListVersion() + 1, olderList);
      List<ClientEvent> bobWarnings = new CopyOnWriteArrayList<>();
      bob.onEvent(bobWarnings::add);
      bob.safetyNumber(ALICE);
      assertThat(bobWarnings).filteredOn(WarningEvent.class::isInstance)
          .extracting(e -> ((WarningEvent) e).message()).anyMatch(m -> m.contains("older than version"));
      assertThatThrownBy(() -> bob.sendText(ALICE, "to a rolled-back list"))
          .isInstanceOf(ClientException.class).hasMessageContaining("nothing was sent");

      // Carol has never seen Alice; the list she is shown does not verify.
      SignedDeviceList signed = parse(store.byPhone(ALICE).orElseThrow().deviceList());
      byte[] signature = signed.getSignature().toByteArray();
      signature[0] ^= 1;
      Account now = store.byPhone(ALICE).orElseThrow();
      store.putDeviceList(
          now.id(), now.deviceListVersion() + 1,
          signed.toBuilder().setSignature(ByteString.copyFrom(signature)).build().toByteArray());
      assertThatThrownBy(() -> carol.sendText(ALICE, "to a forged list"))
          .isInstanceOf(ClientException.class).hasMessageContaining("nothing was sent");
      assertThat(server.server().storage().queues().length(new DeviceAddress(now.id(), 1))).isZero();
    }
  }

  private byte[] slipInGhost(String phone) {
    Accounts store = server.server().storage().accounts();
    Account account = store.byPhone(phone).orElseThrow();
    IdentityKeyPair identity = IdentityKeyPair.generate();
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    long now = System.currentTimeMillis();
    DeviceRecord ghost =
        new DeviceRecord(
            account.id(), GHOST, 4242, identity.getPublicKey().serialize(), Credentials.hash(secret), "ghost", 2,
            now, now, new byte[64]);
    byte[] signedKey = ECKeyPair.generate().getPublicKey().serialize();
    byte[] kyberKey = KEMKeyPair.generate(KEMKeyType.KYBER_1024).getPublicKey().serialize();
    PreKeys.Upload keys =
        new PreKeys.Upload(
            new PreKeys.Key(1, signedKey, identity.getPrivateKey().calculateSignature(signedKey)),
            new PreKeys.Key(1, kyberKey, identity.getPrivateKey().calculateSignature(kyberKey)),
            List.of(),
            List.of());
    // The server keeps serving the primary's old list, which does not name the ghost.
    assertThat(store.addCompanion(ghost, keys, account.deviceListVersion() + 1, account.deviceList(), 10))
        .isEqualTo(Accounts.LinkResult.LINKED);
    return secret;
  }

  private DeviceAddress ghostAddress(String phone) {
    return new DeviceAddress(server.server().storage().accounts().byPhone(phone).orElseThrow().id(), GHOST);
  }

  private void sendAsGhost(String ghostPhone, byte[] secret, String toPhone) {
    Accounts store = server.server().storage().accounts();
    Account from = store.byPhone(ghostPhone).orElseThrow();
    Account to = store.byPhone(toPhone).orElseThrow();
    DeviceRecord target = store.devices(to.id()).getFirst();
    try (ServerConnection ghost =
        ServerConnection.open(
            ServerConnection.Target.device(server.url(), from.id().toString(), GHOST, secret, null, false), p -> {})) {
      byte[] garbage = new byte[200];
      new SecureRandom().nextBytes(garbage);
      ghost.call(
          Request.newBuilder()
              .setSendMessage(
                  SendMessage.newBuilder()
                      .setTimestamp(System.currentTimeMillis())
                      .setNoSync(true)
                      .addMessages(
                          OutgoingMessage.newBuilder()
                              .setDestinationAccount(to.id().toString())
                              .setDestinationDevice(1)
                              .setDestinationRegistrationId(target.registrationId())
                              .setType(CiphertextType.PREKEY)
                              .setContent(ByteString.copyFrom(garbage)))));
    }
  }

  private static SignedDeviceList parse(byte[] bytes) {
    try {
      return SignedDeviceList.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
