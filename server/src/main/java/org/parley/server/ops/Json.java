package org.parley.server.ops;

/** Just enough JSON for the admin API's flat answers, without a JSON library in the relay. */
final class Json {
  private final StringBuilder out = new StringBuilder("{");
  private boolean first = true;

  Json put(String key, Object value) {
    if (!first) {
      out.append(',');
    }
    first = false;
    string(out, key);
    out.append(':');
    value(out, value);
    return this;
  }

  @Override
  public String toString() {
    return out + "}";
  }

  private static void value(StringBuilder out, Object value) {
    switch (value) {
      case null -> out.append("null");
      case Number n -> out.append(n);
      case Boolean b -> out.append(b);
      case Json object -> out.append(object);
      case Iterable<?> list -> {
        out.append('[');
        boolean first = true;
        for (Object item : list) {
          if (!first) {
            out.append(',');
          }
          first = false;
          value(out, item);
        }
        out.append(']');
      }
      default -> string(out, value.toString());
    }
  }

  private static void string(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      switch (ch) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (ch < 0x20) {
            out.append(String.format("\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
        }
      }
    }
    out.append('"');
  }
}
