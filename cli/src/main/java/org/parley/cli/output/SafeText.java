package org.parley.cli.output;

/**
 * Text that others wrote (a contact's name, a label, a note: app state from another own device) as a
 * terminal may show it: control characters, which could move the cursor, clear the screen or forge
 * another line, become '?'. JSON gives the text whole, escaped.
 */
public final class SafeText {
  private SafeText() {}

  /** A name on one line, as it was written. */
  public static String shown(String name) {
    return name == null ? "-" : clean(name, false);
  }

  /** A note: its line breaks are kept, indented under the line that introduces it. */
  public static String text(String text) {
    return clean(text, true).replace("\n", "\n    ");
  }

  private static String clean(String text, boolean keepLineBreaks) {
    StringBuilder out = new StringBuilder();
    text.codePoints().forEach(c -> {
      boolean lineBreak = c == '\n' && keepLineBreaks;
      boolean control = Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
          || Character.getType(c) == Character.LINE_SEPARATOR || Character.getType(c) == Character.PARAGRAPH_SEPARATOR;
      out.appendCodePoint(control && !lineBreak ? '?' : c);
    });
    return out.toString();
  }
}
