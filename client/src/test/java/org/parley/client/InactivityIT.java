package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.link;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UnlinkedEvent;
import org.parley.client.events.WarningEvent;
import org.parley.server.store.Account;
import org.parley.server.store.DeviceAddress;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;

/**
 * DESIGN.md §8 with a test clock: a primary away for weeks costs the account its companions, after
 * a warning; a companion away too long is unlinked alone; decisions survive a restart.
 */
class InactivityIT {
  static final String ALICE = "+15550000901";
  static final String BOB = "+15550000902";

  @TempDir Path dir;
  final MutableClock clock = MutableClock.now();
  TestServer server;
  final List<Device> open = new ArrayList<>();

  @BeforeEach
  void startServer() {
    server = TestServer.start(dir.resolve("server"), clock, b -> b);
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

  int reap() {
    return server.server().inactivity().reap();
  }

  @Test
  void anIdlePrimaryFirstWarnsThenCostsEveryCompanion_andContactsReachThePrimaryOnly() {
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device laptop;
    Device tablet;
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      laptop = keep(link(server, alice, dir.resolve("alice-laptop"), "laptop"));
      tablet = keep(link(server, alice, dir.resolve("alice-tablet"), "tablet"));
      bob.sendText(ALICE, "hello all three");
      receive(laptop);
      receive(tablet);
    }
    laptop.close();
    open.remove(laptop);

    // The tablet stays connected: the reaper's warning reaches it as an event right away.
    List<ClientEvent> warned = new java.util.concurrent.CopyOnWriteArrayList<>();
    tablet.onEvent(warned::add);
    clock.advance(Duration.ofDays(13));
    assertThat(reap()).isZero();
    org.awaitility.Awaitility.await()
        .untilAsserted(() -> assertThat(warned).filteredOn(WarningEvent.class::isInstance).isNotEmpty());
    assertThat(receive(tablet)).filteredOn(WarningEvent.class::isInstance).isEmpty();
    assertThat(warned).filteredOn(WarningEvent.class::isInstance).singleElement().satisfies(e -> {
      WarningEvent warning = (WarningEvent) e;
      assertThat(warning.code()).isEqualTo("primary-inactive");
      assertThat(warning.until()).isBetween(clock.millis(), clock.millis() + Duration.ofDays(1).toMillis());
    });
    assertThat(tablet.devices()).filteredOn(d -> d.id() == 3).singleElement()
        .satisfies(d -> assertThat(d.unlinkAt()).isEqualTo(((WarningEvent) warned.getFirst()).until()));

    bob.sendText(ALICE, "waiting in the laptop's queue");
    Account alice = server.server().storage().accounts().byPhone(ALICE).orElseThrow();
    DeviceAddress laptopAddress = new DeviceAddress(alice.id(), 2);
    assertThat(server.server().storage().queues().length(laptopAddress)).isEqualTo(1);

    clock.advance(Duration.ofDays(2));
    assertThat(reap()).isEqualTo(2);
    assertThat(server.server().storage().queues().length(laptopAddress)).isZero();
    assertThat(server.server().storage().accounts().devices(alice.id())).extracting(d -> d.deviceId()).containsExactly(1);
    // The tablet is connected: the server tells it at once.
    org.awaitility.Awaitility.await()
        .untilAsserted(() -> assertThat(tablet.local().unlinkedReason()).isEqualTo("primary-inactive"));

    // Bob's cached view still names three devices: the server says which are gone, and he carries on.
    bob.sendText(ALICE, "just the phone");
    try (Device phone = Device.open(dir.resolve("alice"), ClientConfig.defaults())) {
      assertThat(messages(receive(phone))).extracting(MessageEvent::body)
          .containsExactly("hello all three", "waiting in the laptop's queue", "just the phone");
      assertThat(phone.devices()).extracting(Device.DeviceView::id).containsExactly(1);
      phone.sendText(BOB, "I am back");
    }
    assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("I am back");

    try (Device gone = Device.open(dir.resolve("alice-laptop"), ClientConfig.defaults())) {
      List<ClientEvent> told = receive(gone);
      assertThat(told).filteredOn(UnlinkedEvent.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((UnlinkedEvent) e).reason()).isEqualTo("primary-inactive"));
      assertThatThrownBy(() -> gone.sendText(BOB, "hello?"))
          .isInstanceOf(ClientException.class)
          .hasMessageContaining("unlinked (primary-inactive)")
          .hasMessageContaining("parley link");
    }
  }

  @Test
  void aCompanionAwayTooLongIsUnlinkedAloneAndTheOthersCarryOn() {
    Device alice = keep(register(server, dir.resolve("alice"), ALICE));
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    Device laptop = keep(link(server, alice, dir.resolve("alice-laptop"), "laptop"));
    Device tablet = keep(link(server, alice, dir.resolve("alice-tablet"), "tablet"));
    tablet.close();
    open.remove(tablet);
    // The phone and the laptop stay connected, and a connected device counts as active.
    alice.devices();
    laptop.devices();

    clock.advance(Duration.ofDays(31));
    assertThat(reap()).isEqualTo(1);

    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1, 2);
    bob.sendText(ALICE, "phone and laptop");
    assertThat(messages(receive(laptop))).extracting(MessageEvent::body).containsExactly("phone and laptop");
    try (Device gone = Device.open(dir.resolve("alice-tablet"), ClientConfig.defaults())) {
      assertThat(receive(gone)).filteredOn(UnlinkedEvent.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((UnlinkedEvent) e).reason()).isEqualTo("companion-inactive"));
    }
  }

  @Test
  void theReaperDecidesByDurableTimesAcrossARestartAndUnlinksOnce() {
    Device bob = keep(register(server, dir.resolve("bob"), BOB));
    try (Device alice = register(server, dir.resolve("alice"), ALICE)) {
      link(server, alice, dir.resolve("alice-laptop"), "laptop").close();
    }
    clock.advance(Duration.ofDays(10));
    server.restart(0);
    assertThat(reap()).isZero();

    clock.advance(Duration.ofDays(5));
    server.restart(0);
    assertThat(reap()).isEqualTo(1);
    assertThat(reap()).isZero();
    server.restart(0);
    assertThat(reap()).isZero();
    Account alice = server.server().storage().accounts().byPhone(ALICE).orElseThrow();
    assertThat(server.server().storage().accounts().devices(alice.id())).hasSize(1);
    assertThat(bob).isNotNull();
  }
}
