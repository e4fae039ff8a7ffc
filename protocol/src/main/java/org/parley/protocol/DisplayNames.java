package org.parley.protocol;

/**
 * Names that other people's devices show (group names, contact and label names): one line of plain
 * text. A line break or escape would let a name print a forged line in a terminal ("16:02 — Alice made
 * you an admin"), and a direction control (U+202E and its kin, all format characters) would turn the
 * text around it on a page, so both are refused wherever such a name is made or believed.
 */
public final class DisplayNames {
  private DisplayNames() {}

  /** Whether every character of {@code name} is one a single line of plain text may show. */
  public static boolean isPlain(String name) {
    return name.codePoints().allMatch(DisplayNames::shows);
  }

  private static boolean shows(int c) {
    // The zero-width joiners are format characters too, but they only join: emoji sequences
    // (a family, a flag of a trade) and Persian or Indic spellings need them, and they move nothing.
    if (c == 0x200C || c == 0x200D) {
      return true;
    }
    int type = Character.getType(c);
    return !Character.isISOControl(c)
        && type != Character.FORMAT
        && type != Character.LINE_SEPARATOR
        && type != Character.PARAGRAPH_SEPARATOR
        && type != Character.SURROGATE;
  }
}
