package org.parley.client.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A file's content type from its first bytes, never from its name: an extension says what the
 * sender wants it to look like, the bytes what it is. The receiver sniffs again before it trusts a
 * type for anything (the extension of the name it stores the file under).
 */
public final class ContentTypes {
  public static final String UNKNOWN = "application/octet-stream";
  private static final int HEAD = 64;
  private static final Map<String, String> EXTENSIONS =
      Map.ofEntries(
          Map.entry("image/jpeg", ".jpg"),
          Map.entry("image/png", ".png"),
          Map.entry("image/gif", ".gif"),
          Map.entry("image/webp", ".webp"),
          Map.entry("application/pdf", ".pdf"),
          Map.entry("application/zip", ".zip"),
          Map.entry("audio/ogg", ".ogg"),
          Map.entry("audio/mpeg", ".mp3"),
          Map.entry("video/mp4", ".mp4"),
          Map.entry("text/plain", ".txt"));

  private ContentTypes() {}

  public static String sniff(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return sniff(in.readNBytes(HEAD));
    }
  }

  public static String sniff(byte[] head) {
    if (starts(head, 0xFF, 0xD8, 0xFF)) {
      return "image/jpeg";
    }
    if (starts(head, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return "image/png";
    }
    if (ascii(head, 0, "GIF87a") || ascii(head, 0, "GIF89a")) {
      return "image/gif";
    }
    if (ascii(head, 0, "RIFF") && ascii(head, 8, "WEBP")) {
      return "image/webp";
    }
    if (ascii(head, 0, "%PDF-")) {
      return "application/pdf";
    }
    if (starts(head, 'P', 'K', 3, 4)) {
      return "application/zip";
    }
    if (ascii(head, 0, "OggS")) {
      return "audio/ogg";
    }
    if (ascii(head, 0, "ID3") || starts(head, 0xFF, 0xFB)) {
      return "audio/mpeg";
    }
    if (ascii(head, 4, "ftyp")) {
      return "video/mp4";
    }
    return text(head) ? "text/plain" : UNKNOWN;
  }

  /** The extension a stored file of this (sniffed) type gets: for the user's file manager only. */
  public static String extension(String contentType) {
    return EXTENSIONS.getOrDefault(contentType, ".bin");
  }

  private static boolean text(byte[] head) {
    if (head.length == 0) {
      return false;
    }
    for (byte b : head) {
      int c = b & 0xff;
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') {
        return false;
      }
    }
    // The head may end inside a character: decode leniently, refuse only clear garbage.
    String decoded = new String(head, StandardCharsets.UTF_8);
    return decoded.chars().filter(c -> c == 0xFFFD).count() <= 1;
  }

  private static boolean starts(byte[] head, int... bytes) {
    if (head.length < bytes.length) {
      return false;
    }
    for (int i = 0; i < bytes.length; i++) {
      if ((head[i] & 0xff) != bytes[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean ascii(byte[] head, int at, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    return head.length >= at + bytes.length && Arrays.equals(head, at, at + bytes.length, bytes, 0, bytes.length);
  }
}
