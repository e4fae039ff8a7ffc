package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Another own device read a chat up to a time (read sync).
 *
 * @param name the address book's name for {@code chat}, if any (no field otherwise)
 */
public record ReadEvent(
    String chat, String group, @JsonProperty("upTo") long upToTimestamp, int byDevice,
    @JsonInclude(JsonInclude.Include.NON_NULL) String name)
    implements ClientEvent {
  public ReadEvent(String chat, String group, long upToTimestamp, int byDevice) {
    this(chat, group, upToTimestamp, byDevice, null);
  }

  public ReadEvent withName(String name) {
    return new ReadEvent(chat, group, upToTimestamp, byDevice, name);
  }

  @Override
  public String type() {
    return "read";
  }
}
