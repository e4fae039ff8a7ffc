package org.parley.client.events;

/**
 * Something the user should know that is not a message: an unvouched device, a changed safety
 * number, a message that could not be decrypted, an unlink coming up.
 *
 * @param code a stable, machine-readable name ("untrusted-device", "safety-number-changed", ...)
 * @param until for an inactivity warning: when the unlink will happen (epoch ms), else 0
 */
public record WarningEvent(String code, String message, long until) implements ClientEvent {
  public WarningEvent(String code, String message) {
    this(code, message, 0);
  }
}
