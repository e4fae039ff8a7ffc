package org.parley.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Byte sizes: {@code 4096}, {@code 64KiB}, {@code 256MiB}, {@code 2GiB}. */
public final class Sizes implements CommandLine.ITypeConverter<Long> {
  private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(|KiB|MiB|GiB)", Pattern.CASE_INSENSITIVE);

  public static long parse(String text) {
    Matcher m = FORM.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size; write it like 4096, 64KiB, 256MiB or 2GiB");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "kib" -> amount << 10;
      case "mib" -> amount << 20;
      case "gib" -> amount << 30;
      default -> amount;
    };
  }

  @Override
  public Long convert(String value) {
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
