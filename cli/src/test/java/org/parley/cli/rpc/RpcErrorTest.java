package org.parley.cli.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parley.client.ClientException;
import org.parley.client.net.ServerException;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/** What a refusal means to a script (a code by kind, data.type, data.retryAfterMs), and back to a command line. */
class RpcErrorTest {
  @Test
  void eachKindOfRefusalHasItsCodeAndItsNameAsData() {
    Map<String, Integer> codes =
        Map.of(
            "UNLINKED", RpcError.NOT_REGISTERED,
            "NOT_REGISTERED", RpcError.NOT_REGISTERED,
            "UNREACHABLE", RpcError.UNREACHABLE,
            "IDENTITY_HELD", RpcError.UNTRUSTED,
            "UNTRUSTED", RpcError.UNTRUSTED,
            "NOT_PRIMARY", RpcError.NOT_PRIMARY,
            "LIMIT_REACHED", RpcError.REFUSED);
    codes.forEach((type, code) -> {
      RpcError error = RpcError.of(new ClientException(type, "because " + type, null));
      assertThat(error.code()).as(type).isEqualTo(code);
      assertThat(error.data()).containsEntry("type", type);
      assertThat(error.message()).isEqualTo("because " + type);
    });
  }

  @Test
  void aRateLimitSaysHowLongToWaitAndTheCommandLineGetsTheSameRefusalBack() {
    ServerException refused =
        new ServerException(
            Response.newBuilder().setStatus(Status.RATE_LIMITED).setMessage("too many sends").setRetryAfterMs(1500).build());
    RpcError error = RpcError.of(refused);
    assertThat(error.code()).isEqualTo(RpcError.RATE_LIMITED);
    assertThat(error.data()).containsEntry("type", "RATE_LIMITED").containsEntry("status", "RATE_LIMITED")
        .containsEntry("retryAfterMs", 1500L);

    // As DaemonClient reads it: every data field as text.
    RpcError read = new RpcError(error.code(), error.message(), Map.of("type", "RATE_LIMITED", "status", "RATE_LIMITED", "retryAfterMs", "1500"));
    assertThat(read.toException()).isInstanceOfSatisfying(ServerException.class, back -> {
      assertThat(back.status()).isEqualTo(Status.RATE_LIMITED);
      assertThat(back.getMessage()).isEqualTo(refused.getMessage());
      assertThat(back.retryAfter()).contains(Duration.ofMillis(1500));
    });
  }

  @Test
  void otherErrorsComeBackAsWhatTheCommandLineWouldHaveThrown() {
    assertThat(RpcError.of(RpcError.INVALID_PARAMS, "no recipient").toException())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("no recipient");
    assertThat(new RpcError(RpcError.REFUSED, "no such group", Map.of("type", "NO_SUCH_GROUP")).toException())
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("NO_SUCH_GROUP"))
        .isNotInstanceOf(ServerException.class);
    assertThat(new RpcError(RpcError.REFUSED, "odd", Map.of("type", "X", "status", "NO_SUCH_STATUS")).toException())
        .isNotInstanceOf(ServerException.class);
  }
}
