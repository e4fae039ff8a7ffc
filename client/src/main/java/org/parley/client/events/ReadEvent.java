package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Another own device read a chat up to a time (read sync). */
public record ReadEvent(String chat, String group, @JsonProperty("upTo") long upToTimestamp, int byDevice)
    implements ClientEvent {
  @Override
  public String type() {
    return "read";
  }
}
