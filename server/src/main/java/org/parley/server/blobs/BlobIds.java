package org.parley.server.blobs;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/** Blob ids: 192 random bits, URL-safe, so that an id can be neither guessed nor made to name a path. */
public final class BlobIds {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{32}");

  private BlobIds() {}

  public static String random() {
    byte[] random = new byte[24];
    RANDOM.nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  /** Whether a string can be a blob id at all. */
  public static boolean valid(String id) {
    return id != null && ID.matcher(id).matches();
  }
}
