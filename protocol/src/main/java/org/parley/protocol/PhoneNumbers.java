package org.parley.protocol;

import java.util.regex.Pattern;

/** E.164 phone numbers: the lookup key of an account. */
public final class PhoneNumbers {
  private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{6,14}");

  private PhoneNumbers() {}

  public static boolean isValid(String phone) {
    return phone != null && E164.matcher(phone).matches();
  }

  /** Accepts common spellings ("+1 555-0100 123") and returns the E.164 form. */
  public static String normalize(String phone) {
    if (phone == null) {
      throw new IllegalArgumentException("a phone number is required, in E.164 form like +15550100123");
    }
    String compact = phone.replaceAll("[\\s().-]", "");
    if (!isValid(compact)) {
      throw new IllegalArgumentException(
          "'" + phone + "' is not an E.164 phone number; write it like +15550100123");
    }
    return compact;
  }
}
