package org.parley.protocol.history;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.DeflaterOutputStream;

/**
 * The history-bundle reader on what a stranger (or the server operator) can hand a companion: any
 * bytes as the blob, and, behind the encryption, any compressed or uncompressed record stream (as a
 * broken or hostile exporter would write). It must read records or refuse with a BundleException,
 * never fail otherwise, and never hold more than its record bound.
 */
class BundleReaderFuzzTest {
  private static final byte[] KEY = new byte[32];

  @FuzzTest(maxDuration = "30s")
  void anyBlobIsReadOrRefused(FuzzedDataProvider data) throws IOException {
    int mode = data.consumeInt(0, 2);
    byte[] body = data.consumeRemainingAsBytes();
    byte[] blob =
        switch (mode) {
          case 0 -> body;
          case 1 -> encrypt(body);
          default -> encrypt(deflate(body));
        };
    try (BundleReader reader = new BundleReader(new ByteArrayInputStream(blob), KEY)) {
      reader.header();
      for (int i = 0; i < 10_000 && reader.next() != null; i++) {
        // read to the end (or the first refusal)
      }
    } catch (BundleException e) {
      // refused with a reason: what the importer shows the user
    }
  }

  private static byte[] encrypt(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (EncryptingOutputStream encrypting = new EncryptingOutputStream(out, KEY, 4096)) {
      encrypting.write(plain);
    }
    return out.toByteArray();
  }

  private static byte[] deflate(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream deflating = new DeflaterOutputStream(out)) {
      deflating.write(plain);
    }
    return out.toByteArray();
  }
}
