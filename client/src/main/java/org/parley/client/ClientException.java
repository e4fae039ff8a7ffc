package org.parley.client;

/**
 * Something the user must hear about, said so that it tells what to do next ("register first",
 * "the server refused: ..."). Carries the server's status code when the server refused.
 */
public class ClientException extends RuntimeException {
  private final String code;

  public ClientException(String message) {
    this("ERROR", message, null);
  }

  public ClientException(String message, Throwable cause) {
    this("ERROR", message, cause);
  }

  public ClientException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The server's status name ("RATE_LIMITED", "UNLINKED", ...) or "ERROR" for local failures. */
  public String code() {
    return code;
  }
}
