package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.net.ServerException;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/** Registration lock (DESIGN.md §3): someone with the SMS code but without the PIN cannot take the number. */
@WithTestServer
class RegistrationLockIT {
  static final String BOB = "+15550001302";

  @TempDir Path dir;
  TestServer server;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @Test
  void reRegisteringALockedNumberNeedsTheRightPin() {
    try (Device bob = register(server, dir.resolve("bob"), BOB)) {
      bob.setRegistrationLock("4321");
    }
    try (Device thief = Device.open(dir.resolve("thief"), ClientConfig.defaults())) {
      thief.requestCode(server.url(), BOB, "swapped sim");
      String code = server.sms().codeFor(BOB);

      assertThatThrownBy(() -> thief.verify(code))
          .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.status()).isEqualTo(Status.REGISTRATION_LOCKED))
          .hasMessageContaining("registration lock")
          .hasMessageContaining("locked until");
      assertThatThrownBy(() -> thief.verify(code, "0000"))
          .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.status()).isEqualTo(Status.REGISTRATION_LOCKED))
          .hasMessageContaining("wrong registration-lock PIN");
      assertThat(thief.local().isRegistered()).isFalse();

      thief.verify(code, "4321");
      assertThat(thief.local().isRegistered()).isTrue();
    }
  }
}
