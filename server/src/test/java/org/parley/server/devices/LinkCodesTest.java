package org.parley.server.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.MutableClock;
import org.parley.server.transport.ApiException;

/** The server's link-code registry (docs/PROTOCOL.md §6.1): its bounds and refusals, each with a reason. */
class LinkCodesTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
  private final LinkCodes codes = new LinkCodes(clock);
  private static final ByteString BLOB = ByteString.copyFrom(new byte[64]);

  @Test
  void badInputIsRefusedWithAReason() {
    assertThatThrownBy(() -> codes.register("a", "7KQ", BLOB, "n", DeviceKind.DESKTOP))
        .hasMessageContaining("first 4 characters");
    assertThatThrownBy(() -> codes.register("a", "7KQU", BLOB, "n", DeviceKind.DESKTOP))
        .hasMessageContaining("first 4 characters");
    assertThatThrownBy(() -> codes.register("a", "7KQ2", BLOB.substring(1), "n", DeviceKind.DESKTOP))
        .hasMessageContaining("64 bytes");
    assertThatThrownBy(() -> codes.register("a", "7KQ2", BLOB, "n".repeat(65), DeviceKind.DESKTOP))
        .hasMessageContaining("at most 64");
  }

  @Test
  void oneCodePerSocket_aTakenSlotIsRefused() throws Exception {
    codes.register("a", "7KQ2", BLOB, "n", DeviceKind.DESKTOP);
    assertThat(status(() -> codes.register("a", "7KQ3", BLOB, "n", DeviceKind.DESKTOP))).isEqualTo(Status.CONFLICT);
    assertThat(status(() -> codes.register("b", "7KQ2", BLOB, "n", DeviceKind.DESKTOP))).isEqualTo(Status.CONFLICT);
  }

  @Test
  void threeClaims_thenRefused_andExpiredAfter180Seconds() throws Exception {
    codes.register("a", "7KQ2", BLOB, "n", DeviceKind.DESKTOP);
    for (int i = 0; i < 3; i++) {
      assertThat(codes.claim("7KQ2", "acct").address).isEqualTo("a");
    }
    assertThat(status(() -> codes.claim("7KQ2", "acct"))).isEqualTo(Status.LIMIT_REACHED);
    assertThat(status(() -> codes.claim("ZZZZ", "acct"))).isEqualTo(Status.NOT_FOUND);

    codes.register("b", "AAAA", BLOB, "n", DeviceKind.DESKTOP);
    clock.advance(LinkCodes.TTL.plus(Duration.ofMillis(1)));
    assertThat(status(() -> codes.claim("AAAA", "acct"))).isEqualTo(Status.EXPIRED);
  }

  @Test
  void theCountIsBounded_andACodeDiesWithItsSocket() throws Exception {
    for (int i = 0; i < LinkCodes.MAX_CODES; i++) {
      codes.register("s" + i, slot(i), BLOB, "n", DeviceKind.DESKTOP);
    }
    assertThat(status(() -> codes.register("x", "ZZZZ", BLOB, "n", DeviceKind.DESKTOP))).isEqualTo(Status.RATE_LIMITED);
    codes.forget("s0");
    assertThat(status(() -> codes.claim(slot(0), "acct"))).isEqualTo(Status.NOT_FOUND);
    codes.register("x", "ZZZZ", BLOB, "n", DeviceKind.DESKTOP);
  }

  @Test
  void theStatusIsToldOnlyToAnAccountThatClaimedTheCode() throws Exception {
    codes.register("a", "7KQ2", BLOB, "n", DeviceKind.DESKTOP);
    assertThat(status(() -> codes.status("7KQ2", "stranger"))).isEqualTo(Status.NOT_FOUND);
    codes.claim("7KQ2", "primary");
    codes.wrong("a");
    assertThat(codes.status("7KQ2", "primary")).containsExactly(1, 2);
    assertThat(status(() -> codes.status("7KQ2", "stranger"))).isEqualTo(Status.NOT_FOUND);
  }

  private static String slot(int i) {
    String alphabet = org.parley.protocol.LinkCodeCipher.ALPHABET;
    return "" + alphabet.charAt(i / 1024 % 32) + alphabet.charAt(i / 32 % 32) + alphabet.charAt(i % 32) + "0";
  }

  interface Call {
    void run() throws ApiException;
  }

  private static Status status(Call call) {
    try {
      call.run();
    } catch (ApiException e) {
      return e.status();
    }
    throw new AssertionError("not refused");
  }
}
