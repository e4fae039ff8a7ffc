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
}
