package org.parley.cli.rpc;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.client.ClientException;
import org.parley.client.net.ServerException;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;

/**
 * A JSON-RPC error object: the standard codes, and the application's codes for what the device or
 * the server refused, each with structured {@code data} ({@code type}: the refusal's stable name,
 * plus what a script needs to act: {@code retryAfterMs} for a rate limit).
 *
 * <table>
 *   <tr><td>-32700</td><td>parse error: not JSON</td></tr>
 *   <tr><td>-32600</td><td>invalid request: not a JSON-RPC 2.0 request object, or too large</td></tr>
 *   <tr><td>-32601</td><td>method not found</td></tr>
 *   <tr><td>-32602</td><td>invalid params: unknown, missing or wrong parameters</td></tr>
 *   <tr><td>-32603</td><td>internal error</td></tr>
 *   <tr><td>-1</td><td>refused by the device or the server (data.type: the reason's name)</td></tr>
 *   <tr><td>-2</td><td>this device is not registered, was unlinked, or its credentials are refused</td></tr>
 *   <tr><td>-3</td><td>the server cannot be reached now</td></tr>
 *   <tr><td>-4</td><td>untrusted identity: a contact's identity is not vouched for or waits for 'trust'</td></tr>
 *   <tr><td>-5</td><td>rate limited (data.retryAfterMs when the server said)</td></tr>
 *   <tr><td>-6</td><td>only the primary device may do this</td></tr>
 *   <tr><td>-7</td><td>unauthorized: the connection has not given the daemon's token</td></tr>
 * </table>
 */
public record RpcError(int code, String message, Map<String, Object> data) {
  public static final int PARSE_ERROR = -32700;
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;
  public static final int REFUSED = -1;
  public static final int NOT_REGISTERED = -2;
  public static final int UNREACHABLE = -3;
  public static final int UNTRUSTED = -4;
  public static final int RATE_LIMITED = -5;
  public static final int NOT_PRIMARY = -6;
  public static final int UNAUTHORIZED = -7;

  public static RpcError of(int code, String message) {
    return new RpcError(code, message, null);
  }

  /** What a client exception means to a script: a code by kind, the sentence, and its name as data.type. */
  public static RpcError of(ClientException e) {
    String type = e.code();
    int code =
        switch (type) {
          case "NOT_REGISTERED", "UNLINKED", "UNAUTHENTICATED" -> NOT_REGISTERED;
          case "UNREACHABLE" -> UNREACHABLE;
          case "UNTRUSTED", "IDENTITY_HELD", "UNTRUSTED_IDENTITY" -> UNTRUSTED;
          case "RATE_LIMITED" -> RATE_LIMITED;
          case "NOT_PRIMARY" -> NOT_PRIMARY;
          default -> REFUSED;
        };
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("type", type);
    if (e instanceof ServerException refused) {
      data.put("status", refused.status().name());
      refused.retryAfter().ifPresent(wait -> data.put("retryAfterMs", wait.toMillis()));
    }
    return new RpcError(code, e.getMessage(), data);
  }

  /** The exception a command line client raises for this error, so it exits as it would standalone. */
  public RuntimeException toException() {
    if (code == INVALID_PARAMS) {
      return new IllegalArgumentException(message);
    }
    Object type = data == null ? null : data.get("type");
    Status status = serverStatus();
    if (status != null && message.startsWith(SERVER_REFUSED)) {
      // The server's refusal as it was: the command line prints its "try again after" as standalone.
      Object wait = data.get("retryAfterMs");
      Response.Builder response =
          Response.newBuilder().setStatus(status).setMessage(message.substring(SERVER_REFUSED.length()));
      if (wait != null && wait.toString().matches("\\d{1,18}")) {
        response.setRetryAfterMs(Long.parseLong(wait.toString()));
      }
      return new ServerException(response.build());
    }
    return new ClientException(type == null ? "ERROR" : type.toString(), message, null);
  }

  private static final String SERVER_REFUSED = "the server refused: ";

  private Status serverStatus() {
    Object status = data == null ? null : data.get("status");
    if (status == null) {
      return null;
    }
    try {
      return Status.valueOf(status.toString());
    } catch (IllegalArgumentException unknown) {
      return null;
    }
  }
}
