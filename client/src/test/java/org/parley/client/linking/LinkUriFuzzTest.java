package org.parley.client.linking;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.parley.client.ClientException;

/** A {@code parley://link} URI, as any QR code or pasted line may carry it: parsed, or refused with a sentence. */
class LinkUriFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void anyTextIsALinkOrRefused(String text) {
    if (text == null) {
      return; // the mutator's null; nothing on the wire or in a file is null
    }
    try {
      LinkUri.parse(text);
    } catch (ClientException e) {
      if (e.getMessage() == null || e.getMessage().isBlank()) {
        throw new AssertionError("a refusal without a reason");
      }
    }
  }
}
