package org.parley.client.events;

/**
 * A message this device could not decrypt (a lost or corrupted session, a missing group key) has been
 * asked for again from the device that sent it; until it arrives its place in the chat says so. When
 * it does arrive it is an ordinary {@code message} event, and the placeholder is gone.
 *
 * @param state {@code waiting} (asked for; it comes when the sender's device is online) or {@code
 *     given-up} (asked for as often and as long as allowed; it will not come)
 * @param from the sender's number
 * @param fromDevice the sender's device
 * @param group the group the message was sent in, or {@code null}
 * @param timestamp the message's timestamp as its sender set it (epoch ms)
 */
public record WaitingEvent(String state, String from, int fromDevice, String group, long timestamp, String message)
    implements ClientEvent {
  public static final String WAITING = "waiting";
  public static final String GIVEN_UP = "given-up";

  @Override
  public String type() {
    return "waiting";
  }
}
