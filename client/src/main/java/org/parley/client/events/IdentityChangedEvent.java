package org.parley.client.events;

/**
 * A contact's primary identity changed (its number was registered again, DESIGN.md §3). Comes in the
 * receive stream before the first message under the new key.
 *
 * @param oldSafetyNumber the safety number before the change
 * @param newSafetyNumber the safety number now; compare it in person
 * @param held whether sends and receives wait for 'parley trust' (a verified contact, or the
 *     profile's trust-new-identities is {@code never})
 * @param timestamp when this device saw the change (epoch ms)
 */
public record IdentityChangedEvent(
    String phone, String oldSafetyNumber, String newSafetyNumber, boolean held, long timestamp)
    implements ClientEvent {
  @Override
  public String type() {
    return "identity-changed";
  }
}
