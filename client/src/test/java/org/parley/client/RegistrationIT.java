package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;

/** Verification codes expire and wrong guesses are limited; every refusal says what to do. */
class RegistrationIT {
  static final String PHONE = "+15550000801";

  @TempDir Path dir;

  @Test
  void wrongCodesAreCountedAndTheRightCodeIsRefusedAfterTooMany() {
    MutableClock clock = MutableClock.now();
    try (TestServer server = TestServer.start(dir.resolve("server"), clock, b -> b);
        Device device = Device.open(dir.resolve("phone"), ClientConfig.defaults())) {
      device.requestCode(server.url(), PHONE, "phone");
      String code = server.sms().codeFor(PHONE);
      String wrong = code.equals("000000") ? "111111" : "000000";
      for (int left = 4; left >= 0; left--) {
        assertThatThrownBy(() -> device.verify(wrong))
            .isInstanceOf(ClientException.class)
            .hasMessageContaining("wrong verification code (" + left + " attempts left)");
      }
      // 5 guesses at once per number, across codes; one comes back every 24 h / 5 (issue 11).
      assertThatThrownBy(() -> device.verify(code))
          .hasMessageContaining("too many verification attempts for " + PHONE + "; try again in 5 h");

      clock.advance(Duration.ofMinutes(289));
      device.requestCode(server.url(), PHONE, "phone");
      device.verify(server.sms().codeFor(PHONE));
      assertThat(device.local().isRegistered()).isTrue();
    }
  }

  @Test
  void anExpiredCodeIsRefused() {
    MutableClock clock = MutableClock.now();
    try (TestServer server = TestServer.start(dir.resolve("server"), clock, b -> b);
        Device device = Device.open(dir.resolve("phone"), ClientConfig.defaults())) {
      device.requestCode(server.url(), PHONE, "phone");
      String code = server.sms().codeFor(PHONE);
      clock.advance(Duration.ofMinutes(11));
      assertThatThrownBy(() -> device.verify(code)).hasMessageContaining("expired; request a new one");
      assertThatThrownBy(() -> device.sendText("+15550000802", "hi")).hasMessageContaining("not registered");
    }
  }
}
