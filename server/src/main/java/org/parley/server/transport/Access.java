package org.parley.server.transport;

/** Who may make a request. */
public enum Access {
  /** Anyone, even without credentials: registration. */
  ANYONE,
  /** Any linked device. */
  DEVICE,
  /** Only an account's primary device. */
  PRIMARY,
  /** Only a companion waiting on the provisioning socket. */
  PROVISIONING
}
