package org.parley.client.linking;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.DeviceKind;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;

/** Every link a companion can show reads back from its PNG, whatever its random keys. */
class QrCodesTest {
  @TempDir Path dir;

  @Test
  void manyRandomLinksRoundTripThroughPngs() {
    for (int i = 0; i < 200; i++) {
      String uri =
          new LinkUri(
                  "address-" + i,
                  ECKeyPair.generate().getPublicKey(),
                  IdentityKeyPair.generate().getPublicKey(),
                  DeviceKind.DESKTOP,
                  "laptop " + i)
              .toUri();
      Path png = dir.resolve("qr-" + i + ".png");
      QrCodes.writePng(uri, png);
      assertThat(QrCodes.readPng(png)).as("link %d", i).isEqualTo(uri);
    }
  }
}
