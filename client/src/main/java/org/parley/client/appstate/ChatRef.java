package org.parley.client.appstate;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A chat as app state names it: the other account of a 1:1 chat ({@code u:ACCOUNT}) or a group
 * ({@code g:GROUP}). Accounts, not numbers: a chat keeps its marks when the contact's number is
 * looked up again, and matches the message history's {@code chat_account} and {@code group_id}.
 */
public record ChatRef(UUID account, String group) {
  private static final Pattern GROUP_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public ChatRef {
    if ((account == null) == (group == null)) {
      throw new IllegalArgumentException("a chat is either a 1:1 chat or a group");
    }
    if (group != null && !GROUP_ID.matcher(group).matches()) {
      throw new IllegalArgumentException("'" + group + "' is not a group ID");
    }
  }

  public static ChatRef direct(UUID account) {
    return new ChatRef(account, null);
  }

  public static ChatRef group(String group) {
    return new ChatRef(null, group);
  }

  public boolean isGroup() {
    return group != null;
  }

  /** The form in keys and in the {@code chat} column. */
  public String token() {
    return account != null ? "u:" + account : "g:" + group;
  }

  public static ChatRef parse(String token) {
    if (token.startsWith("u:")) {
      try {
        return direct(UUID.fromString(token.substring(2)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + token + "' does not name an account");
      }
    }
    if (token.startsWith("g:")) {
      return group(token.substring(2));
    }
    throw new IllegalArgumentException("'" + token + "' is not a chat (u:ACCOUNT or g:GROUP)");
  }

  @Override
  public String toString() {
    return token();
  }
}
