package org.parley.server.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * {@code admin.properties} in the data directory: where the running server's admin listener is and
 * the token it wants. Readable by its owner only (0600): whoever can read it could read the whole
 * store anyway, so the data directory's permissions are the admin API's permissions, with no
 * password to choose, rotate or leak. A fresh token at every start; the file goes at a clean stop.
 */
public final class AdminEndpointFile {
  public static final String NAME = "admin.properties";

  private AdminEndpointFile() {}

  public static String newToken() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** Written to a 0600 temporary file first and moved into place, so no one sees it half written or readable. */
  static void write(Path dataDirectory, String url, String token) {
    Path file = dataDirectory.resolve(NAME);
    try {
      Path temporary =
          Files.createTempFile(
              dataDirectory, "admin-", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      String text = "# the running server's admin listener (parley admin reads this)\nurl=" + url + "\ntoken=" + token + "\n";
      Files.writeString(temporary, text, StandardCharsets.UTF_8);
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  static void remove(Path dataDirectory) {
    try {
      Files.deleteIfExists(dataDirectory.resolve(NAME));
    } catch (IOException e) {
      // a stale file only points at a closed port; parley admin says the server is not running
    }
  }

  /** What a client needs: the listener's address and the token. */
  public record Endpoint(String url, String token) {}

  public static Endpoint read(Path dataDirectory) throws IOException {
    Properties properties = new Properties();
    try (var in = Files.newBufferedReader(dataDirectory.resolve(NAME), StandardCharsets.UTF_8)) {
      properties.load(in);
    }
    String url = properties.getProperty("url");
    String token = properties.getProperty("token");
    if (url == null || token == null) {
      throw new IOException(dataDirectory.resolve(NAME) + " is incomplete");
    }
    return new Endpoint(url, token);
  }
}
