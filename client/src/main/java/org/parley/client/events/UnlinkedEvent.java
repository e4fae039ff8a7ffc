package org.parley.client.events;

/**
 * This device was unlinked by the server.
 *
 * @param reason {@code removed-by-primary}, {@code primary-inactive}, {@code companion-inactive},
 *     {@code unlinked-self} or {@code re-registered}
 */
public record UnlinkedEvent(String reason, long at, String message) implements ClientEvent {
  @Override
  public String type() {
    return "unlinked";
  }
}
