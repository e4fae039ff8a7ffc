package org.parley.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** Phone numbers as strangers type them: normalized to E.164, or refused with a sentence; nothing else. */
class PhoneNumbersFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void anyTextIsNormalizedOrRefused(String text) {
    if (text == null) {
      return; // the mutator's null; nothing on the wire or in a file is null
    }
    boolean valid = PhoneNumbers.isValid(text);
    String normalized;
    try {
      normalized = PhoneNumbers.normalize(text);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        throw new AssertionError("a refusal without a reason for " + text);
      }
      return;
    }
    if (!PhoneNumbers.isValid(normalized) || !PhoneNumbers.normalize(normalized).equals(normalized)) {
      throw new AssertionError("normalized '" + text + "' to '" + normalized + "', which is not stable E.164");
    }
    if (valid && !normalized.equals(text)) {
      throw new AssertionError("a valid number changed: " + text + " -> " + normalized);
    }
  }
}
