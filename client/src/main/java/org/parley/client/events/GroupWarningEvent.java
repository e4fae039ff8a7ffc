package org.parley.client.events;

/**
 * Something about a group the user should know because the server may be playing with it (DESIGN.md
 * §9): a membership change that no admin signed, a member the server lists that no signed change
 * added (it gets nothing), a group message or sender key from a device that is not a member's.
 *
 * @param code {@code group-change-refused}, {@code unsigned-member} or {@code not-a-member}
 * @param phone the account concerned, when there is one, else {@code null}
 */
public record GroupWarningEvent(String code, String group, String phone, String message) implements ClientEvent {
  @Override
  public String type() {
    return "group-warning";
  }
}
