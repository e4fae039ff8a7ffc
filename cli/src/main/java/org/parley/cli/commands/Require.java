package org.parley.cli.commands;

/** Checks of a handler's parameters, for calls that come without the CLI's own checks (JSON-RPC). */
public final class Require {
  private Require() {}

  public static String text(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing parameter '" + name + "'");
    }
    return value;
  }

  /** Exactly one of two parameters, e.g. a recipient or a group. */
  public static void oneOf(Object first, String firstName, Object second, String secondName) {
    if ((first == null) == (second == null)) {
      throw new IllegalArgumentException("give either '" + firstName + "' or '" + secondName + "'");
    }
  }

  /**
   * Refuses a call that names files on this machine unless it comes from the profile's owner.
   *
   * @param what the parameter, for the message
   * @param instead what such a caller can do instead
   */
  public static void owner(Caller caller, String what, String instead) {
    if (!caller.owner()) {
      throw new org.parley.client.ClientException(
          "LOCAL_FILES_REFUSED",
          what + " names files on this machine, so it is taken only from the profile's owner (the command line,"
              + " or the profile's control socket), not over TCP, HTTP or a web session: " + instead,
          null);
    }
  }
}
