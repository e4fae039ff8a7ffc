package org.parley.client.messaging;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.DecryptionErrorMessage;

/**
 * What retry requests read from others: a request's DecryptionErrorMessage (any device that can
 * send this device content), and an undecryptable envelope's bytes described for the request (any
 * server). Each is read or refused with the exceptions {@link Resends} and {@link RetryRequests}
 * catch, never anything that would end the receive loop. (Its first replay found that libsignal
 * reports a parse failure of {@code forOriginalMessage} as an AssertionError.)
 */
class RetryRequestFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void anyRetryRequestIsReadOrRefused(byte[] bytes) {
    if (bytes == null) {
      return;
    }
    try {
      new DecryptionErrorMessage(bytes).getTimestamp();
    } catch (InvalidKeyException | InvalidMessageException | RuntimeException | AssertionError e) {
      // refused: a warning, nothing resent
    }
    for (int type : new int[] {CiphertextMessage.WHISPER_TYPE, CiphertextMessage.PREKEY_TYPE, CiphertextMessage.SENDERKEY_TYPE}) {
      try {
        DecryptionErrorMessage.forOriginalMessage(bytes, type, 1, 1).serialize();
      } catch (RuntimeException | AssertionError e) {
        // not even the outline of a message: reported, not asked for (libsignal wraps its parse
        // failure in an AssertionError; RetryRequests catches exactly these)
      }
    }
  }
}
