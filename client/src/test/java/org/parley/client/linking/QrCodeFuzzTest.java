package org.parley.client.linking;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.parley.client.ClientException;

/** A QR code image given to 'parley add-device --qr-png': any bytes are decoded or refused with a sentence. */
class QrCodeFuzzTest {
  private static final Path FILE = file();

  private static Path file() {
    try {
      Path file = Files.createTempFile("parley-qr-fuzz", ".png");
      file.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void anyImageIsDecodedOrRefused(byte[] image) throws IOException {
    if (image == null) {
      return; // the mutator's null; nothing on the wire or in a file is null
    }
    Files.write(FILE, image);
    try {
      String text = QrCodes.readPng(FILE);
      LinkUri.parse(text);
    } catch (ClientException e) {
      // refused with a reason
    }
  }
}
