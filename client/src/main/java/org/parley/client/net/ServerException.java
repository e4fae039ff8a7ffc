package org.parley.client.net;

import java.time.Duration;
import java.util.Optional;
import org.parley.client.ClientException;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/** The server refused a request; carries its status, its sentence and, when waiting helps, how long. */
public final class ServerException extends ClientException {
  private final transient Response response;

  public ServerException(Response response) {
    super(response.getStatus().name(), "the server refused: " + response.getMessage(), null);
    this.response = response;
  }

  public Status status() {
    return response.getStatus();
  }

  public Response response() {
    return response;
  }

  /** How long until the same request can pass (a rate limit), if the server said. */
  public Optional<Duration> retryAfter() {
    return response.getRetryAfterMs() > 0 ? Optional.of(Duration.ofMillis(response.getRetryAfterMs())) : Optional.empty();
  }
}
