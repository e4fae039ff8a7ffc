package org.parley.client.appstate;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.parley.protocol.DisplayNames;
import org.parley.protocol.wire.AppStateMutation;
import org.parley.protocol.wire.AppStateValue;

/**
 * One app-state change, checked: its key parses, its value is the kind its key holds and within
 * bounds. {@code value == null} is a deletion.
 */
public record Mutation(AppStateKey key, AppStateValue value, long version, int deviceId, long timestamp) {
  private static final Pattern COLOUR = Pattern.compile("#[0-9a-f]{6}");

  public boolean deletion() {
    return value == null;
  }

  public byte[] valueBytes() {
    return value == null ? null : value.toByteArray();
  }

  public AppStateMutation toProto() {
    AppStateMutation.Builder proto =
        AppStateMutation.newBuilder()
            .setKey(key.toString())
            .setVersion(version)
            .setDeviceId(deviceId)
            .setTimestamp(timestamp);
    if (value != null) {
      proto.setValue(value);
    }
    return proto.build();
  }

  /** Reads and checks a mutation as it arrived; throws IllegalArgumentException saying what is wrong. */
  public static Mutation of(AppStateMutation proto) {
    if (proto.getSerializedSize() > AppStateLimits.MAX_MUTATION_BYTES) {
      throw new IllegalArgumentException(
          "an app-state change of " + proto.getSerializedSize() + " bytes is larger than the "
              + AppStateLimits.MAX_MUTATION_BYTES + " a device takes");
    }
    if (proto.getVersion() <= 0 || proto.getVersion() > Long.MAX_VALUE / 2) {
      throw new IllegalArgumentException("an app-state change has no valid version");
    }
    if (proto.getDeviceId() <= 0) {
      throw new IllegalArgumentException("an app-state change names no device");
    }
    AppStateKey key = AppStateKey.parse(proto.getKey());
    AppStateValue value = proto.hasValue() ? proto.getValue() : null;
    if (value != null) {
      check(key.kind(), value);
    }
    return new Mutation(key, value, proto.getVersion(), proto.getDeviceId(), proto.getTimestamp());
  }

  /** Checks that a value is what its key's kind holds, within bounds. */
  static void check(AppStateKey.Kind kind, AppStateValue value) {
    switch (kind) {
      case CONTACT -> {
        require(value.hasName(), kind);
        name(value.getName(), "a contact name", AppStateLimits.MAX_CONTACT_NAME_CHARS);
      }
      case ARCHIVE, PIN, UNREAD, CHAT_LABEL, MESSAGE_LABEL -> require(value.hasOn() && value.getOn(), kind);
      case MUTE -> require(value.hasMutedUntil() && (value.getMutedUntil() > 0 || value.getMutedUntil() == -1), kind);
      case LABEL -> {
        require(value.hasLabel(), kind);
        name(value.getLabel().getName(), "a label name", AppStateLimits.MAX_LABEL_NAME_CHARS);
        if (!COLOUR.matcher(value.getLabel().getColour()).matches()) {
          throw new IllegalArgumentException("a label colour is written #rrggbb, not '" + value.getLabel().getColour() + "'");
        }
      }
      case ASSIGN -> require(value.hasDeviceId() && value.getDeviceId() > 0, kind);
      case NOTE -> {
        require(value.hasNote(), kind);
        note(value.getNote().getText());
      }
    }
  }

  private static void require(boolean ok, AppStateKey.Kind kind) {
    if (!ok) {
      throw new IllegalArgumentException("the value of a " + kind.word() + " entry is not what that kind holds");
    }
  }

  /** A name people see: not blank, one line of plain text ({@link DisplayNames}), at most {@code max} characters. */
  static String name(String name, String what, int max) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    if (name.codePointCount(0, name.length()) > max) {
      throw new IllegalArgumentException(what + " holds at most " + max + " characters");
    }
    if (!DisplayNames.isPlain(name)) {
      throw new IllegalArgumentException(
          what + " must not hold control characters or direction marks (line breaks, tabs, escapes, U+202E)");
    }
    return name;
  }

  static String note(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a note must not be empty");
    }
    if (text.codePoints().anyMatch(c -> Character.isISOControl(c) && c != '\n' && c != '\t')) {
      throw new IllegalArgumentException("a note must not hold control characters other than line breaks and tabs");
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > AppStateLimits.MAX_NOTE_BYTES) {
      throw new IllegalArgumentException(
          "a note holds at most " + AppStateLimits.MAX_NOTE_BYTES + " bytes of text (this one has " + bytes
              + "); split it into several notes");
    }
    return text;
  }

  /**
   * Whether this mutation wins over the stored entry: the higher version, then the higher device
   * id, then (only for a device that reused a version, which a correct one never does) the larger
   * value, so every device picks the same winner whatever the order of arrival.
   */
  public boolean beats(long version, int deviceId, byte[] value) {
    if (this.version != version) {
      return this.version > version;
    }
    if (this.deviceId != deviceId) {
      return this.deviceId > deviceId;
    }
    return Arrays.compareUnsigned(orEmpty(valueBytes()), orEmpty(value)) > 0;
  }

  private static byte[] orEmpty(byte[] bytes) {
    return bytes == null ? new byte[0] : bytes;
  }
}
