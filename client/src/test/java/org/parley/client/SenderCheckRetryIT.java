package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerException;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.limits.Rate;
import org.parley.server.limits.Rates;
import org.parley.server.testing.MutableClock;
import org.parley.server.testing.TestServer;

/**
 * A transient failure while checking a sender never costs the message (docs/PROTOCOL.md §8): the server
 * refuses the receiver's fetch of the sender's device list for now (its own rate limit, under a
 * frozen server clock), so the envelope is not acked and stays queued; once the server answers again
 * the message arrives, once.
 */
class SenderCheckRetryIT {
  static final String ALICE = "+15550003001";
  static final String BOB = "+15550003002";
  static final int FETCHES = 5;

  @TempDir Path dir;
  final MutableClock clock = MutableClock.now();
  TestServer server;

  @BeforeEach
  void start() {
    Rates rates = Rates.defaults().with(Rate.of(Rates.KEY_FETCHES, FETCHES, FETCHES, Duration.ofHours(1)));
    server = TestServer.start(
        dir.resolve("server"), clock, b -> b.limits(Limits.defaults().toBuilder().rates(rates).build()));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aServerErrorDuringTheSenderCheckLeavesTheMessageQueuedAndItArrivesAfterTheRetryOnce() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      alice.sendText(BOB, "do not lose me");
      Operator operator = new Operator(server);
      // Bob spends his budget of device-list fetches before he has seen alice's list.
      Request.Builder fetch =
          Request.newBuilder().setGetDevices(GetDevices.newBuilder().setAccountId(operator.account(ALICE).id().toString()));
      for (int i = 0; i < FETCHES; i++) {
        bob.callForTests(fetch);
      }
      assertThatThrownBy(() -> bob.callForTests(fetch))
          .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.status()).isEqualTo(Status.RATE_LIMITED));

      List<ClientEvent> refused = receive(bob);
      assertThat(messages(refused)).isEmpty();
      assertThat(refused).filteredOn(WarningEvent.class::isInstance).map(e -> ((WarningEvent) e).code())
          .contains("sender-check");
      assertThat(operator.queued(BOB, 1)).as("not acked: still queued").hasSize(1);

      clock.advance(Duration.ofHours(1));
      assertThat(messages(receive(bob))).extracting(MessageEvent::body).containsExactly("do not lose me");
      assertThat(messages(receive(bob))).as("once").isEmpty();
      assertThat(bob.history(ALICE, null, 10)).extracting(MessageEvent::body).containsExactly("do not lose me");
    }
  }
}
