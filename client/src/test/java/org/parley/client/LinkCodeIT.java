package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.client.linking.CompanionLinker;
import org.parley.protocol.LinkCodeCipher;
import org.parley.protocol.wire.DeviceKind;
import org.parley.server.devices.LinkCodes;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.ecc.ECPublicKey;

/**
 * Linking a companion by an 8-character code (docs/PROTOCOL.md §6.1): end to end, the code's limits (one
 * use, 3 attempts, 180 s), and what the server holds and can do with it.
 */
class LinkCodeIT {
  @TempDir static Path dir;
  static final MutableClock clock = MutableClock.now();
  static TestServer server;
  final List<Device> open = new ArrayList<>();

  @BeforeAll
  static void startServer() {
    server = TestServer.start(dir.resolve("server"), clock, b -> b);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @AfterEach
  void closeAll() {
    open.forEach(Device::close);
  }

  Device keep(Device device) {
    open.add(device);
    return device;
  }

  /** A companion showing its code, linking in the background. */
  record Waiting(Device device, String code, CompletableFuture<CompanionLinker.Result> linked) {}

  Waiting showCode(String profile) throws Exception {
    Device companion = keep(Device.open(dir.resolve(profile), ClientConfig.defaults()));
    CompletableFuture<String> shown = new CompletableFuture<>();
    CompletableFuture<CompanionLinker.Result> linked =
        CompletableFuture.supplyAsync(
            () -> companion.linkByCode(server.url(), "laptop", DeviceKind.DESKTOP, i -> shown.complete(i.code())),
            task -> Thread.ofPlatform().daemon().start(task));
    linked.whenComplete((r, e) -> { if (e != null) shown.completeExceptionally(e); });
    return new Waiting(companion, shown.get(30, TimeUnit.SECONDS), linked);
  }

  /** Another code with the same first half (the slot) and a different second half. */
  static String wrong(String code, int n) {
    char[] chars = code.toCharArray();
    chars[8] = LinkCodeCipher.ALPHABET.charAt((LinkCodeCipher.ALPHABET.indexOf(chars[8]) + n) % 32);
    return new String(chars);
  }

  @Test
  void linkedByCode_sendsAndReceives_theCodeWorksOnce() throws Exception {
    Device alice = keep(register(server, dir.resolve("alice1"), "+15550001301"));
    Device bob = keep(register(server, dir.resolve("bob1"), "+15550001302"));
    Waiting laptop = showCode("alice1-laptop");
    assertThat(laptop.code()).matches("[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}");

    // Typed the way people type: lower case, no dash, O for 0 and I for 1.
    String typed = laptop.code().toLowerCase().replace("-", "").replace('0', 'o').replace('1', 'i');
    assertThat(alice.addDeviceByCode(typed, 365).deviceId()).isEqualTo(2);
    assertThat(laptop.linked().get(30, TimeUnit.SECONDS).deviceId()).isEqualTo(2);

    bob.sendText("+15550001301", "hello both");
    assertThat(messages(receive(laptop.device()))).extracting(MessageEvent::body).contains("hello both");
    laptop.device().sendText("+15550001302", "from the laptop");
    assertThat(messages(receive(bob))).singleElement().satisfies(m -> {
      assertThat(m.body()).isEqualTo("from the laptop");
      assertThat(m.fromDevice()).isEqualTo(2);
    });

    // Once used the code is gone: typing it again links nothing.
    assertThatThrownBy(() -> alice.addDeviceByCode(laptop.code(), 365))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("no device shows this link code");
    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1, 2);
  }

  @Test
  void threeWrongCodes_killTheCode() throws Exception {
    Device alice = keep(register(server, dir.resolve("alice2"), "+15550001311"));
    Waiting tablet = showCode("alice2-tablet");
    for (int i = 1; i <= 3; i++) {
      int left = 3 - i;
      assertThatThrownBy(() -> alice.addDeviceByCode(wrong(tablet.code(), 1), 365))
          .isInstanceOf(ClientException.class)
          .hasMessageContaining("the code is wrong (" + left);
    }
    // The right code now comes too late: the server counted three live attempts (and the new
    // device, told of three wrong ones, gave up and closed its socket, which ends the code too).
    assertThatThrownBy(() -> alice.addDeviceByCode(tablet.code(), 365))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("run 'parley link --code' on the new device");
    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1);
    // The new device stops waiting too, and says what to do.
    assertThatThrownBy(() -> tablet.linked().get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ClientException.class)
        .hasMessageContaining("typed wrong 3 times");
  }

  @Test
  void anExpiredCodeIsRefused() throws Exception {
    Device alice = keep(register(server, dir.resolve("alice3"), "+15550001321"));
    Waiting phone = showCode("alice3-phone");
    clock.advance(LinkCodes.TTL.plusSeconds(1));
    assertThatThrownBy(() -> alice.addDeviceByCode(phone.code(), 365))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("expired");
    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1);
  }

  @Test
  void theOperator_holdsNothingToTestGuessesAgainst_andASwappedKeyLinksNobody() throws Exception {
    Device alice = keep(register(server, dir.resolve("alice4"), "+15550001331"));
    Waiting desk = showCode("alice4-desk");
    String slot = LinkCodeCipher.slot(desk.code());
    LinkCodes.Code held = server.server().linkCodes().held(slot);

    // What the server keeps: the slot (the code's first half), 64 wrapped bytes, name, kind, the
    // socket's address. Not the second half; and the blob gives no offline test of a guess: under
    // any code it unwraps to two well-formed public keys, the right one looking like the rest.
    assertThat(held.slot()).isEqualTo(slot);
    assertThat(held.wrapped().size()).isEqualTo(LinkCodeCipher.WRAPPED_BYTES);
    assertThat(held.wrapped().toStringUtf8()).doesNotContain(desk.code().substring(5));
    for (int n = 1; n <= 5; n++) {
      byte[][] keys = LinkCodeCipher.unwrap(wrong(desk.code(), n), held.wrapped().toByteArray());
      for (byte[] key : keys) {
        byte[] typed = new byte[33];
        typed[0] = 0x05;
        System.arraycopy(key, 0, typed, 1, 32);
        assertThat(new ECPublicKey(typed).serialize()).hasSize(33);
      }
    }

    // The operator swaps in keys of its own, wrapped under its best guess of the code.
    ECKeyPair operatorKey = ECKeyPair.generate();
    byte[] operatorPub = Arrays.copyOfRange(operatorKey.getPublicKey().serialize(), 1, 33);
    String guess = wrong(desk.code(), 7);
    server.server().linkCodes().substitute(slot, ByteString.copyFrom(LinkCodeCipher.wrap(guess, operatorPub, operatorPub)));

    // The user types the right code: the keys unwrap to ones nobody holds, the companion cannot
    // open what was sent, and nothing is linked.
    assertThatThrownBy(() -> alice.addDeviceByCode(desk.code(), 365))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("the code is wrong");
    assertThat(alice.devices()).extracting(Device.DeviceView::id).containsExactly(1);
    assertThat(desk.linked()).isNotDone();
  }
}
