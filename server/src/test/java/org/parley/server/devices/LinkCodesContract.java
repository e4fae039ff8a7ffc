package org.parley.server.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.MutableClock;
import org.parley.server.transport.ApiException;

/**
 * The server's link-code registry (docs/PROTOCOL.md §6.1): its bounds and refusals, each with a
 * reason, whatever holds the codes: a lone node's memory ({@link LocalLinkCodesTest}) or the Redis
 * the nodes of a cluster share ({@link RedisLinkCodesIT}).
 */
abstract class LinkCodesContract {
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
  final LinkCodes codes = newCodes(clock);
  static final ByteString BLOB = ByteString.copyFrom(new byte[64]);

  /** Codes of their own (no other test's), reading time from {@code clock}. */
  abstract LinkCodes newCodes(Clock clock);

  @AfterEach
  void closeCodes() {
    codes.close();
  }

  /** A code registered by a client known only by its socket: the socket stands for the client. */
  LinkCodes.Code register(String address, String slot, ByteString wrapped, String name, DeviceKind kind)
      throws ApiException {
    return codes.register(address, address, slot, wrapped, name, kind);
  }

  @Test
  void badInputIsRefusedWithAReason() {
    assertThatThrownBy(() -> register("a", "7KQ", BLOB, "n", DeviceKind.DESKTOP))
        .hasMessageContaining("first 4 characters");
    assertThatThrownBy(() -> register("a", "7KQU", BLOB, "n", DeviceKind.DESKTOP))
        .hasMessageContaining("first 4 characters");
    assertThatThrownBy(() -> register("a", "7KQ2", BLOB.substring(1), "n", DeviceKind.DESKTOP))
        .hasMessageContaining("64 bytes");
    assertThatThrownBy(() -> register("a", "7KQ2", BLOB, "n".repeat(65), DeviceKind.DESKTOP))
        .hasMessageContaining("at most 64");
  }

  @Test
  void oneCodePerSocket_aTakenSlotIsRefused() throws Exception {
    register("a", "7KQ2", BLOB, "n", DeviceKind.DESKTOP);
    assertThat(status(() -> register("a", "7KQ3", BLOB, "n", DeviceKind.DESKTOP))).isEqualTo(Status.CONFLICT);
    assertThat(status(() -> register("b", "7KQ2", BLOB, "n", DeviceKind.DESKTOP))).isEqualTo(Status.CONFLICT);
  }

  @Test
  void threeClaims_thenRefused_andExpiredAfter180Seconds() throws Exception {
    register("a", "7KQ2", BLOB, "n", DeviceKind.DESKTOP);
    for (int i = 0; i < 3; i++) {
      assertThat(codes.claim("7KQ2", "acct").code().address()).isEqualTo("a");
    }
    assertThat(status(() -> codes.claim("7KQ2", "acct"))).isEqualTo(Status.LIMIT_REACHED);
    assertThat(status(() -> codes.claim("ZZZZ", "acct"))).isEqualTo(Status.NOT_FOUND);

    register("b", "AAAA", BLOB, "n", DeviceKind.DESKTOP);
    clock.advance(LinkCodes.TTL.plus(Duration.ofMillis(1)));
    assertThat(status(() -> codes.claim("AAAA", "acct"))).isEqualTo(Status.EXPIRED);
  }

  @Test
  void theCountIsBounded_andACodeDiesWithItsSocket() throws Exception {
    for (int i = 0; i < LinkCodes.MAX_CODES; i++) {
      register("s" + i, slot(i), BLOB, "n", DeviceKind.DESKTOP);
    }
    assertThat(status(() -> register("x", "ZZZZ", BLOB, "n", DeviceKind.DESKTOP))).isEqualTo(Status.RATE_LIMITED);
    assertThat(message(() -> register("x", "ZZZZ", BLOB, "n", DeviceKind.DESKTOP)))
        .as("when the oldest code expires").endsWith("try again in 3 min");
    codes.forget("s0");
    assertThat(status(() -> codes.claim(slot(0), "acct"))).isEqualTo(Status.NOT_FOUND);
    register("x", "ZZZZ", BLOB, "n", DeviceKind.DESKTOP);
  }

  @Test
  void theStatusIsToldOnlyToAnAccountThatClaimedTheCode() throws Exception {
    register("a", "7KQ2", BLOB, "n", DeviceKind.DESKTOP);
    assertThat(status(() -> codes.status("7KQ2", "stranger"))).isEqualTo(Status.NOT_FOUND);
    codes.claim("7KQ2", "primary");
    codes.wrong("a");
    assertThat(codes.status("7KQ2", "primary")).isEqualTo(new LinkCodes.Progress(1, 2));
    assertThat(status(() -> codes.status("7KQ2", "stranger"))).isEqualTo(Status.NOT_FOUND);
  }

  @Test
  void aStrangerFillsOnlyHisOwnShare_othersStillGetACode() throws Exception {
    for (int i = 0; i < LinkCodes.MAX_CODES_PER_CLIENT; i++) {
      codes.register("stranger-socket-" + i, "203.0.113.9", slot(i), BLOB, "n", DeviceKind.DESKTOP);
    }
    int past = LinkCodes.MAX_CODES_PER_CLIENT;
    assertThat(status(() -> codes.register("stranger-socket-x", "203.0.113.9", slot(past), BLOB, "n", DeviceKind.DESKTOP)))
        .isEqualTo(Status.RATE_LIMITED);
    clock.advance(Duration.ofSeconds(100));
    assertThat(message(() -> codes.register("stranger-socket-x", "203.0.113.9", slot(past), BLOB, "n", DeviceKind.DESKTOP)))
        .as("when the client's oldest code expires").endsWith("try again in 80 s");
    assertThat(codes.held(slot(past))).isNull();
    assertThat(codes.register("honest-socket", "198.51.100.7", "ZZZZ", BLOB, "n", DeviceKind.DESKTOP).client())
        .isEqualTo("198.51.100.7");

    codes.forget("stranger-socket-0");
    codes.register("stranger-socket-x", "203.0.113.9", slot(past), BLOB, "n", DeviceKind.DESKTOP);
    clock.advance(LinkCodes.TTL.plus(Duration.ofMillis(1)));
    codes.register("stranger-socket-y", "203.0.113.9", slot(past + 1), BLOB, "n", DeviceKind.DESKTOP);
  }

  @Test
  void expiredCodesFreeTheirSocketsAndTheirClientsPlaces() throws Exception {
    for (int i = 0; i < LinkCodes.MAX_CODES_PER_CLIENT; i++) {
      codes.register("socket-" + i, "203.0.113.9", slot(i), BLOB, "n", DeviceKind.DESKTOP);
    }
    clock.advance(LinkCodes.TTL.plus(Duration.ofMillis(1)));
    assertThat(status(() -> codes.claim(slot(0), "acct"))).isEqualTo(Status.EXPIRED);

    for (int i = 0; i < LinkCodes.MAX_CODES_PER_CLIENT; i++) {
      codes.register("socket-" + i, "203.0.113.9", slot(100 + i), BLOB, "n", DeviceKind.DESKTOP);
    }
    assertThat(codes.expiresAt("socket-0")).isEqualTo(clock.millis() + LinkCodes.TTL.toMillis());
  }

  @Test
  void twoRacingRegistrationsFromOneSocketNeverGiveItTwoCodes() throws Exception {
    // Both threads read the clock, then meet: they reach the checks together, as a racing stranger's would.
    CyclicBarrier together = new CyclicBarrier(2);
    Clock meeting = new Clock() {
      @Override
      public long millis() {
        try {
          together.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        return clock.millis();
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(millis());
      }

      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
      }
    };
    LinkCodes codes = newCodes(meeting);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 1000; round++) {
        String socket = "socket-" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> tries = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          String slot = slot(2 * round + t);
          tries.add(pool.submit(() -> {
            go.await();
            try {
              codes.register(socket, socket, slot, BLOB, "n", DeviceKind.DESKTOP);
              return true;
            } catch (ApiException e) {
              return false;
            }
          }));
        }
        go.countDown();
        int won = 0;
        for (Future<Boolean> attempt : tries) {
          won += attempt.get(10, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(won).as("codes given to %s", socket).isEqualTo(1);
        codes.forget(socket);
      }
    } finally {
      pool.shutdownNow();
      codes.close();
    }
  }

  private static String slot(int i) {
    String alphabet = org.parley.protocol.LinkCodeCipher.ALPHABET;
    return "" + alphabet.charAt(i / 1024 % 32) + alphabet.charAt(i / 32 % 32) + alphabet.charAt(i % 32) + "0";
  }

  interface Call {
    void run() throws ApiException;
  }

  private static String message(Call call) {
    try {
      call.run();
    } catch (ApiException e) {
      return e.getMessage();
    }
    throw new AssertionError("not refused");
  }

  static Status status(Call call) {
    try {
      call.run();
    } catch (ApiException e) {
      return e.status();
    }
    throw new AssertionError("not refused");
  }
}
