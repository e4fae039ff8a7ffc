package org.parley.cli.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.parley.client.ClientException;

/**
 * The bearer token a TCP or HTTP client of the daemon must show: 256 random bits kept in the
 * profile ({@code daemon.token}, readable by its owner only), made on first use and the same for
 * every run, so a script keeps working across restarts.
 */
final class Token {
  static final String FILE_NAME = "daemon.token";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] value;

  private Token(String value) {
    this.value = value.getBytes(StandardCharsets.US_ASCII);
  }

  static Token of(Path profile) {
    Path file = profile.resolve(FILE_NAME);
    try {
      if (!Files.exists(file)) {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        try {
          // Created with owner-only permissions, never readable by others even for a moment.
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
          Files.writeString(file, text + "\n", StandardCharsets.US_ASCII);
        } catch (FileAlreadyExistsException raced) {
          // another process made it first: use theirs
        }
      }
      return new Token(Files.readString(file, StandardCharsets.US_ASCII).strip());
    } catch (IOException e) {
      throw new ClientException("cannot read or create the daemon token " + file + ": " + e.getMessage(), e);
    }
  }

  String text() {
    return new String(value, StandardCharsets.US_ASCII);
  }

  /** Compares in constant time, so the answer's timing does not tell how much of a guess was right. */
  boolean matches(String presented) {
    return presented != null
        && value.length > 0
        && MessageDigest.isEqual(value, presented.strip().getBytes(StandardCharsets.US_ASCII));
  }
}
