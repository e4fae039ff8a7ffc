package org.parley.client.store;

import java.util.Locale;

/**
 * The profile setting {@code trust-new-identities} (DESIGN.md §3, as signal-cli names it): what this
 * device does when a contact's primary identity changes (the number was registered again). A contact
 * the user marked verified is held whatever the setting.
 */
public enum TrustPolicy {
  /** Accept the new identity, but tell the user before the first message under it. */
  ON_FIRST_USE,
  /** Accept the new identity (the user is still told). */
  ALWAYS,
  /** Hold sends and quarantine receives until the user runs 'parley trust'. */
  NEVER;

  public static final String SETTING = "trust-new-identities";

  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static TrustPolicy parse(String label) {
    for (TrustPolicy policy : values()) {
      if (policy.label().equals(label)) {
        return policy;
      }
    }
    throw new IllegalArgumentException(
        "'" + label + "' is not a value of " + SETTING + "; use on-first-use, always or never");
  }

  public static TrustPolicy of(ProfileStore profile) {
    String value = profile.text(SETTING);
    return value == null ? ON_FIRST_USE : parse(value);
  }

  public void save(ProfileStore profile) {
    profile.putText(SETTING, label());
  }
}
