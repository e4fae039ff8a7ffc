package org.parley.cli.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A server config file: {@code key = value} lines, {@code #} comments, blank lines. Strict on
 * purpose: an operator's typo in a key must stop the server with the line that holds it, not be
 * ignored while the server runs with a default they did not mean.
 */
public record ConfigFile(Path path, Map<String, String> values) {

  /** Reads the file, refusing keys not in {@code known}, repeated keys and lines without '='. */
  public static ConfigFile read(Path path, Set<String> known) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the config file " + path + ": " + e.getMessage());
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = path + " line " + (i + 1);
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(where + ": expected 'key = value', got '" + line + "'");
      }
      String key = line.substring(0, eq).strip();
      String value = unquote(line.substring(eq + 1).strip());
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            where + ": unknown key '" + key + "'; the keys are the option names without '--' (see 'parley server --help')");
      }
      if (values.putIfAbsent(key, value) != null) {
        throw new IllegalArgumentException(where + ": '" + key + "' is set twice");
      }
    }
    return new ConfigFile(path, Map.copyOf(values));
  }

  /** Values may be quoted so that one can hold '#' or surrounding spaces. */
  private static String unquote(String value) {
    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
      return value.substring(1, value.length() - 1);
    }
    int comment = value.indexOf(" #");
    return comment >= 0 ? value.substring(0, comment).strip() : value;
  }
}
