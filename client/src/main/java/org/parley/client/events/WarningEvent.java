package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Something the user should know that is not a message: an unvouched device, a changed safety
 * number, a message that could not be decrypted, an unlink coming up.
 *
 * @param code a stable, machine-readable name ("untrusted-device", "safety-number-changed", ...)
 * @param until for an inactivity warning: when the unlink will happen (epoch ms, JSON field
 *     {@code unlinkAt}), else 0 (and no such field)
 */
public record WarningEvent(
    String code, String message, @JsonProperty("unlinkAt") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long until)
    implements ClientEvent {
  public WarningEvent(String code, String message) {
    this(code, message, 0);
  }

  @Override
  public String type() {
    return "warning";
  }
}
