package org.parley.server.transport;

import java.util.function.Consumer;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/**
 * A refusal: a status code and a sentence that tells the user what happened and what to do. Some
 * refusals carry a body (the device mismatch of a send).
 */
public class ApiException extends Exception {
  private final Status status;
  private final transient Consumer<Response.Builder> body;

  public ApiException(Status status, String message) {
    this(status, message, b -> {});
  }

  public ApiException(Status status, String message, Consumer<Response.Builder> body) {
    super(message, null, false, false);
    this.status = status;
    this.body = body;
  }

  public Status status() {
    return status;
  }

  Response toResponse(long requestId) {
    Response.Builder response =
        Response.newBuilder().setId(requestId).setStatus(status).setMessage(getMessage());
    body.accept(response);
    return response.build();
  }
}
