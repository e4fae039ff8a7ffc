package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.linkByUri;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.WarningEvent;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * The primary's own list is the truth (DESIGN.md §3), against an operator who rewrites the store:
 * a companion the primary removed never comes back on a list, and senders refuse a second, different
 * list with a version they have seen.
 */
@WithTestServer
class OwnDeviceListIT {
  static final String ALICE = "+15550001101";
  static final String BOB = "+15550001102";

  @TempDir Path dir;
  TestServer server;
  Operator operator;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
    this.operator = new Operator(server);
  }

  @Test
  void aRemovedCompanionRestoredByTheOperatorIsNeverSignedAgainNorEncryptedTo() throws Exception {
    Accounts store = server.server().storage().accounts();
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      Device laptop = linkByUri(server, alice, dir.resolve("alice-laptop"), "laptop");
      laptop.close();
      Account withLaptop = operator.account(ALICE);
      byte[] oldList = withLaptop.deviceList();
      DeviceRecord laptopRow = store.device(operator.device(ALICE, 2)).orElseThrow();
      alice.unlink(2);

      // The operator puts the laptop back: its device row and the older list that names it.
      Account now = operator.account(ALICE);
      PreKeys.Key fake = new PreKeys.Key(1, new byte[33], new byte[64]);
      assertThat(store.addCompanion(laptopRow, new PreKeys.Upload(fake, fake, List.of(), List.of()),
              now.deviceListVersion() + 1, oldList, 10))
          .isEqualTo(Accounts.LinkResult.LINKED);

      // The primary's next add-device starts from its own list, not from the one restored.
      List<ClientEvent> told = new CopyOnWriteArrayList<>();
      alice.onEvent(told::add);
      Device tablet = linkByUri(server, alice, dir.resolve("alice-tablet"), "tablet");
      tablet.close();
      DeviceList signed = DeviceList.parseFrom(SignedDeviceList.parseFrom(operator.account(ALICE).deviceList()).getList());
      assertThat(signed.getEntriesList()).extracting(e -> e.getDeviceId()).containsExactlyInAnyOrder(1, 3);
      assertThat(told).filteredOn(WarningEvent.class::isInstance).map(e -> ((WarningEvent) e).code())
          .contains("device-list-refused");
      assertThat(alice.deviceListIncident()).isNotNull();

      Device.SendResult sent = bob.sendText(ALICE, "not for the stolen laptop");
      assertThat(sent.declined()).contains(ALICE + " device 2");
      assertThat(server.server().storage().queues().length(new DeviceAddress(now.id(), 2))).isZero();
      assertThat(messages(receive(alice))).extracting(MessageEvent::body).containsExactly("not for the stolen laptop");
    }
  }

  @Test
  void aSecondDifferentListWithTheSameVersionIsRefusedAndReported() throws Exception {
    Accounts store = server.server().storage().accounts();
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      bob.sendText(ALICE, "first list seen");
      Account seen = operator.account(ALICE);
      DeviceList first = DeviceList.parseFrom(SignedDeviceList.parseFrom(seen.deviceList()).getList());

      // Another list under the same version, validly signed (as a primary tricked into it would).
      DeviceList second = first.toBuilder().setIssuedAt(first.getIssuedAt() + 1).setEntries(0,
          first.getEntries(0).toBuilder().setName("a different list")).build();
      store.putDeviceList(seen.id(), seen.deviceListVersion() + 1,
          DeviceListSignatures.sign(second, alice.identityForTests()).toByteArray());
      List<ClientEvent> told = new CopyOnWriteArrayList<>();
      bob.onEvent(told::add);

      bob.safetyNumber(ALICE);
      assertThat(told).filteredOn(WarningEvent.class::isInstance).map(e -> ((WarningEvent) e).code())
          .contains("device-list-equivocation");
      assertThatThrownBy(() -> bob.sendText(ALICE, "to an equivocated list"))
          .isInstanceOf(ClientException.class).hasMessageContaining("nothing was sent");
    }
  }
}
