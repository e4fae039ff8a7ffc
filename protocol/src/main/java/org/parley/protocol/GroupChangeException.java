package org.parley.protocol;

/** A group membership change that must not be believed; the message says which check failed. */
public class GroupChangeException extends Exception {
  public GroupChangeException(String message) {
    super(message);
  }
}
