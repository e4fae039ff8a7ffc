package org.parley.client.events;

/**
 * An envelope whose sender could not be believed was quarantined (DESIGN.md §3): kept in the profile,
 * never shown nor applied, and no session stored for it.
 *
 * @param reason {@code identity-not-vouched} (an identity key the sender's primary does not vouch for
 *     at that device), {@code unvouched-device} (a device not on the signed list) or {@code
 *     identity-held} (a new identity waiting for 'parley trust'; taken in once trusted)
 * @param from the number the envelope claims to come from
 * @param fromDevice the device it claims to come from
 * @param timestamp when the server took the envelope (epoch ms)
 */
public record UntrustedEvent(String reason, String from, int fromDevice, long timestamp, String message)
    implements ClientEvent {
  @Override
  public String type() {
    return "untrusted";
  }
}
