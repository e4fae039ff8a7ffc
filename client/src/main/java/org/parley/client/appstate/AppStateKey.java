package org.parley.client.appstate;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.regex.Pattern;
import org.parley.protocol.PhoneNumbers;

/**
 * What an app-state entry is about (DESIGN.md §16), written as a string key: the kind, then its
 * parts separated by '/'. Every part but a message id has a fixed alphabet; a message id is chosen
 * by its author (maybe a stranger) and so is percent-encoded. A key that does not parse is refused,
 * so a device never stores what it cannot show.
 *
 * @param phone for {@link Kind#CONTACT}
 * @param chat for every kind about a chat
 * @param label a label's id, for the label kinds
 * @param author and {@code messageId}: the message a {@link Kind#MESSAGE_LABEL} is on
 * @param note a note's id
 */
public record AppStateKey(
    Kind kind, String phone, ChatRef chat, String label, UUID author, String messageId, String note) {
  /** The kinds of entries and the value each holds. */
  public enum Kind {
    CONTACT("contact"),
    ARCHIVE("archive"),
    PIN("pin"),
    UNREAD("unread"),
    MUTE("mute"),
    LABEL("label"),
    CHAT_LABEL("chat-label"),
    MESSAGE_LABEL("message-label"),
    ASSIGN("assign"),
    NOTE("note");

    final String word;

    Kind(String word) {
      this.word = word;
    }

    public String word() {
      return word;
    }

    static Kind of(String word) {
      for (Kind kind : values()) {
        if (kind.word.equals(word)) {
          return kind;
        }
      }
      throw new IllegalArgumentException("unknown app-state kind '" + word + "'");
    }
  }

  /** Label and note ids: random, 16 hex digits. */
  private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

  public static final int MAX_KEY_BYTES = 512;

  public static AppStateKey contact(String phone) {
    return new AppStateKey(Kind.CONTACT, phone, null, null, null, null, null);
  }

  /** One of the chat marks: archive, pin, unread, mute, or the assignment. */
  public static AppStateKey chat(Kind kind, ChatRef chat) {
    return new AppStateKey(kind, null, chat, null, null, null, null);
  }

  public static AppStateKey label(String label) {
    return new AppStateKey(Kind.LABEL, null, null, label, null, null, null);
  }

  public static AppStateKey chatLabel(String label, ChatRef chat) {
    return new AppStateKey(Kind.CHAT_LABEL, null, chat, label, null, null, null);
  }

  public static AppStateKey messageLabel(String label, ChatRef chat, UUID author, String messageId) {
    return new AppStateKey(Kind.MESSAGE_LABEL, null, chat, label, author, messageId, null);
  }

  public static AppStateKey note(ChatRef chat, String note) {
    return new AppStateKey(Kind.NOTE, null, chat, null, null, null, note);
  }

  /** The key as stored and sent. */
  @Override
  public String toString() {
    String parts =
        switch (kind) {
          case CONTACT -> phone;
          case ARCHIVE, PIN, UNREAD, MUTE, ASSIGN -> chat.token();
          case LABEL -> label;
          case CHAT_LABEL -> label + "/" + chat.token();
          case MESSAGE_LABEL ->
              label + "/" + chat.token() + "/" + author + "/" + URLEncoder.encode(messageId, StandardCharsets.UTF_8);
          case NOTE -> chat.token() + "/" + note;
        };
    return kind.word + "/" + parts;
  }

  /** Reads a key; refuses anything that is not exactly the form {@link #toString} writes. */
  public static AppStateKey parse(String key) {
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("an app-state key is longer than " + MAX_KEY_BYTES + " bytes");
    }
    String[] parts = key.split("/", -1);
    Kind kind = Kind.of(parts[0]);
    int expected =
        switch (kind) {
          case CHAT_LABEL, NOTE -> 3;
          case MESSAGE_LABEL -> 5;
          default -> 2;
        };
    if (parts.length != expected) {
      throw new IllegalArgumentException("the app-state key '" + key + "' has the wrong number of parts");
    }
    AppStateKey parsed =
        switch (kind) {
          case CONTACT -> {
            if (!PhoneNumbers.isValid(parts[1])) {
              throw new IllegalArgumentException("'" + parts[1] + "' is not an E.164 number");
            }
            yield contact(parts[1]);
          }
          case ARCHIVE, PIN, UNREAD, MUTE, ASSIGN -> chat(kind, ChatRef.parse(parts[1]));
          case LABEL -> label(id(parts[1]));
          case CHAT_LABEL -> chatLabel(id(parts[1]), ChatRef.parse(parts[2]));
          case MESSAGE_LABEL -> {
            String message = URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
            if (message.isEmpty()) {
              throw new IllegalArgumentException("a message label names no message");
            }
            yield messageLabel(id(parts[1]), ChatRef.parse(parts[2]), UUID.fromString(parts[3]), message);
          }
          case NOTE -> note(ChatRef.parse(parts[1]), id(parts[2]));
        };
    if (!parsed.toString().equals(key)) {
      // One entry, one spelling: two spellings of a key would be two entries that never converge.
      throw new IllegalArgumentException("the app-state key '" + key + "' is not in its canonical form");
    }
    return parsed;
  }

  private static String id(String value) {
    if (!ID.matcher(value).matches()) {
      throw new IllegalArgumentException("'" + value + "' is not a label or note id");
    }
    return value;
  }

  /** A new random label or note id. */
  public static String newId(java.util.random.RandomGenerator random) {
    return String.format("%016x", random.nextLong());
  }
}
