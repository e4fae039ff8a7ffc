package org.parley.client.net;

import org.parley.client.ClientException;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/** The server refused a request; the message is the server's own sentence. */
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
}
