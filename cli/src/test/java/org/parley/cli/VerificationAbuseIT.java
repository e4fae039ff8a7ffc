package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestKeys;

/**
 * Issue 11, verification codes: a new code no longer buys new guesses (5 at once, at most 10 in any
 * 24 h per number, across codes), code requests back off (a growing wait), and one address can have
 * only so many SMS sent a day.
 * Every refusal says when to try again; a legitimate user elsewhere registers throughout.
 */
class VerificationAbuseIT {
  private static final String VICTIM = "+15550130001";

  @TempDir Path dir;

  @Test
  void guessesAcrossCodesAreCappedAndCodeRequestsBackOff() throws Exception {
    try (ServerProcess server =
            ServerProcess.start(
                dir.resolve("server"),
                "--rate-sms-per-address", "8,8/1d",
                // First wait 10 min instead of 1 (the unit tests take the default's): the CLI below starts
                // a JVM, which on a loaded machine can take most of a minute.
                "--code-request-backoff", "2,10m,4h,1d",
                "--unauthenticated-timeout", "60s");
        RawClient attacker = RawClient.anonymous(server.url())) {
      String first = requestCode(attacker, VICTIM, server);
      String wrong = first.equals("000000") ? "111111" : "000000";
      for (int i = 0; i < 5; i++) {
        assertThat(register(attacker, VICTIM, wrong).getStatus()).isEqualTo(Status.INVALID_CODE);
      }
      Response sixth = register(attacker, VICTIM, wrong);
      assertThat(sixth.getStatus()).as("the sixth guess at once").isEqualTo(Status.RATE_LIMITED);
      assertThat(sixth.getMessage()).contains("too many verification attempts for " + VICTIM).contains("try again in");
      // Guesses come back one per 24 h / 5 (at most 10 in any day), whatever the code.
      assertThat(Duration.ofMillis(sixth.getRetryAfterMs())).isBetween(Duration.ofHours(4), Duration.ofMinutes(288));

      String second = requestCode(attacker, VICTIM, server);
      Response right = register(attacker, VICTIM, second);
      assertThat(right.getStatus()).as("a new code buys no guesses, even a right one").isEqualTo(Status.RATE_LIMITED);
      assertThat(right.getMessage()).contains("too many verification attempts for " + VICTIM);

      // Code requests back off: 2 at once, then a wait of 10 min after the second, 20 after the third ...
      Response third = attacker.call(code(VICTIM));
      assertThat(third.getStatus()).as("a third code within minutes").isEqualTo(Status.RATE_LIMITED);
      assertThat(Duration.ofMillis(third.getRetryAfterMs())).isBetween(Duration.ofMinutes(5), Duration.ofMinutes(10));
      // The CLI says so, and when to try again in the user's local time.
      Cli.Run cli = new Cli(dir.resolve("profiles")).parley("victim", "register", "--server", server.url(), "--phone", VICTIM);
      assertThat(cli.code()).isEqualTo(1);
      assertThat(cli.err())
          .contains("too many verification codes for " + VICTIM + "; try again in ")
          .containsPattern("\\(try again after \\d\\d:\\d\\d:\\d\\d\\)");

      // SMS per address: 8 a day asked for from this address; 4 went to the victim's number
      // already (2 sent, the third and the CLI's refused by its back-off: asking is what counts).
      for (int i = 0; i < 4; i++) {
        requestCode(attacker, "+1555013010" + i, server);
      }
      String target = "+15550130199";
      for (int i = 0; i < 3; i++) {
        Response refused = attacker.call(code(target));
        assertThat(refused.getStatus()).isEqualTo(Status.RATE_LIMITED);
        assertThat(refused.getMessage()).contains("verification codes sent for your address today");
      }

      // Someone at another address registers as usual; the refused requests above did not start
      // the back-off of the number they named: its owner gets 2 codes at once.
      try (Stranger legitimate = Stranger.open(server.port(), "127.0.0.7", null).patient(Duration.ofSeconds(60))) {
        assertThat(legitimate.call(code(target)).getStatus()).isEqualTo(Status.OK);
        assertThat(legitimate.call(code(target)).getStatus()).isEqualTo(Status.OK);
        String phone = "+15550130900";
        assertThat(legitimate.call(code(phone)).getStatus()).isEqualTo(Status.OK);
        Response registered =
            legitimate.call(
                Request.newBuilder()
                    .setRegister(
                        Register.newBuilder()
                            .setPhone(phone)
                            .setCode(server.codeFor(phone))
                            .setDevice(TestKeys.generate().newDevice("phone", DeviceKind.PHONE))));
        assertThat(registered.getStatus()).isEqualTo(Status.OK);
      }
    }
  }

  private static Request.Builder code(String phone) {
    return Request.newBuilder().setRequestCode(RequestCode.newBuilder().setPhone(phone));
  }

  private static String requestCode(RawClient client, String phone, ServerProcess server) {
    Stranger.ok(client.call(code(phone)));
    return server.codeFor(phone);
  }

  private static Response register(RawClient client, String phone, String code) {
    return client.call(
        Request.newBuilder()
            .setRegister(
                Register.newBuilder()
                    .setPhone(phone)
                    .setCode(code)
                    .setDevice(TestKeys.generate().newDevice("phone", DeviceKind.PHONE))));
  }
}
