package org.parley.client.events;

/** Another own device read a chat up to a time (read sync). */
public record ReadEvent(String chat, String group, long upToTimestamp, int byDevice) implements ClientEvent {}
