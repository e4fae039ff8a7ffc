package org.parley.protocol.attachments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class AttachmentCipherTest {
  final AttachmentKeys keys = AttachmentKeys.random();
  final byte[] iv = AttachmentKeys.randomIv();

  @Test
  void bucketsGrowByFivePercentAndNeverHoldLessThanTheFile() {
    assertThat(AttachmentSizes.paddedSize(0)).isEqualTo(541);
    assertThat(AttachmentSizes.paddedSize(1)).isEqualTo(541);
    assertThat(AttachmentSizes.paddedSize(541)).isEqualTo(541);
    long previous = 541;
    for (long size = 542; size < 50_000_000; size = size * 11 / 10 + 7) {
      long padded = AttachmentSizes.paddedSize(size);
      assertThat(padded).isGreaterThanOrEqualTo(size).isLessThanOrEqualTo((long) Math.ceil(size * 1.05) + 1);
      assertThat(padded).isGreaterThanOrEqualTo(previous);
      previous = padded;
    }
    // many sizes share a bucket: that is the point
    assertThat(AttachmentSizes.paddedSize(1_000_000)).isEqualTo(AttachmentSizes.paddedSize(1_010_000));
    long twoGb = 2_000_000_000L;
    assertThat(AttachmentSizes.paddedSize(twoGb)).isBetween(twoGb, twoGb * 105 / 100);
  }

  @Test
  void theBlobIsSignalsLayoutAndRoundTrips() throws Exception {
    for (int size : new int[] {0, 1, 15, 16, 540, 541, 542, 70_000, 1_048_579}) {
      byte[] file = random(size);
      EncryptingInputStream encrypting = new EncryptingInputStream(new ByteArrayInputStream(file), size, keys, iv);
      byte[] blob = encrypting.readAllBytes();

      assertThat(blob).hasSize((int) AttachmentSizes.encryptedSize(size)).hasSize((int) encrypting.length());
      assertThat(Arrays.copyOf(blob, 16)).isEqualTo(iv);
      assertThat(encrypting.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(blob));
      // the MAC is HMAC-SHA256 (second half of the key) over IV and ciphertext
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Arrays.copyOfRange(keys.combined(), 32, 64), "HmacSHA256"));
      assertThat(Arrays.copyOfRange(blob, blob.length - 32, blob.length))
          .isEqualTo(mac.doFinal(Arrays.copyOf(blob, blob.length - 32)));
      // the ciphertext is AES-256-CBC (first half of the key) of the file padded with zeros to its bucket
      Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
      aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(Arrays.copyOf(keys.combined(), 32), "AES"), new IvParameterSpec(iv));
      byte[] padded = aes.doFinal(Arrays.copyOfRange(blob, 16, blob.length - 32));
      assertThat(padded).hasSize((int) AttachmentSizes.paddedSize(size));
      assertThat(Arrays.copyOf(padded, size)).isEqualTo(file);
      assertThat(Arrays.copyOfRange(padded, size, padded.length)).isEqualTo(new byte[padded.length - size]);

      assertThat(receive(size, blob, encrypting.digest())).isEqualTo(file);
    }
  }

  @Test
  void aFlippedByteATruncatedBlobAndAWrongDigestAreRefused() throws Exception {
    byte[] file = random(10_000);
    EncryptingInputStream encrypting = new EncryptingInputStream(new ByteArrayInputStream(file), file.length, keys, iv);
    byte[] blob = encrypting.readAllBytes();
    byte[] digest = encrypting.digest();

    byte[] flipped = blob.clone();
    flipped[5000] ^= 1;
    assertThatThrownBy(() -> receive(file.length, flipped, digest)).hasMessageContaining("SHA-256");
    // an attacker who also restates the digest still fails the MAC
    byte[] restated = MessageDigest.getInstance("SHA-256").digest(flipped);
    assertThatThrownBy(() -> receive(file.length, flipped, restated)).hasMessageContaining("MAC");

    byte[] truncated = Arrays.copyOf(blob, blob.length - 1);
    assertThatThrownBy(() -> receive(file.length, truncated, digest)).hasMessageContaining("bytes");
    byte[] longer = Arrays.copyOf(blob, blob.length + 16);
    assertThatThrownBy(() -> receive(file.length, longer, digest)).hasMessageContaining("longer");

    byte[] wrong = digest.clone();
    wrong[0] ^= 1;
    assertThatThrownBy(() -> receive(file.length, blob, wrong)).hasMessageContaining("digest");

    DecryptingVerifier other = new DecryptingVerifier(AttachmentKeys.random(), file.length, (b, o, n) -> {});
    other.update(blob, 0, blob.length);
    assertThatThrownBy(() -> other.finish(digest)).hasMessageContaining("MAC");
  }

  @Test
  void aDownloadThatBrokeOffResumesFromThePlaintextItWroteAndAnAlteredStoredPartIsRefused() throws Exception {
    byte[] file = random(300_000);
    EncryptingInputStream encrypting = new EncryptingInputStream(new ByteArrayInputStream(file), file.length, keys, iv);
    byte[] blob = encrypting.readAllBytes();
    byte[] digest = encrypting.digest();
    for (int cut : new int[] {17, 16 + 4096, 123_457, blob.length - 40}) {
      ByteArrayOutputStream first = new ByteArrayOutputStream();
      DecryptingVerifier broke = new DecryptingVerifier(keys, file.length, first::write);
      broke.update(blob, 0, cut);
      byte[] stored = first.toByteArray();
      long whole = stored.length / 16 * 16;

      ByteArrayOutputStream rest = new ByteArrayOutputStream();
      rest.write(stored, 0, (int) whole);
      DecryptingVerifier resumed = new DecryptingVerifier(keys, file.length, rest::write);
      resumed.resume(iv, new ByteArrayInputStream(stored), whole);
      assertThat(resumed.position()).isEqualTo(16 + whole);
      resumed.update(blob, (int) resumed.position(), blob.length - (int) resumed.position());
      resumed.finish(digest);
      assertThat(rest.toByteArray()).isEqualTo(file);
    }
    // what the device stored of a download was altered before it resumed
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    new DecryptingVerifier(keys, file.length, first::write).update(blob, 0, 200_000);
    byte[] stored = first.toByteArray();
    stored[1000] ^= 1;
    DecryptingVerifier resumed = new DecryptingVerifier(keys, file.length, (b, o, n) -> {});
    resumed.resume(iv, new ByteArrayInputStream(stored), stored.length / 16 * 16);
    resumed.update(blob, (int) resumed.position(), blob.length - (int) resumed.position());
    assertThatThrownBy(() -> resumed.finish(digest)).hasMessageContaining("SHA-256");
  }

  @Test
  void aFileThatChangesSizeWhileBeingSentFailsTheStream() {
    byte[] file = random(5000);
    assertThatThrownBy(
            () -> new EncryptingInputStream(new ByteArrayInputStream(file), 6000, keys, iv).readAllBytes())
        .isInstanceOf(IOException.class).hasMessageContaining("shorter");
    assertThatThrownBy(
            () -> new EncryptingInputStream(new ByteArrayInputStream(file), 4000, keys, iv).readAllBytes())
        .isInstanceOf(IOException.class).hasMessageContaining("grew");
  }

  @Test
  void theSameKeyIvAndFileGiveTheSameBlobSoAnUploadCanContinue() throws Exception {
    byte[] file = random(200_000);
    byte[] first = new EncryptingInputStream(new ByteArrayInputStream(file), file.length, keys, iv).readAllBytes();
    EncryptingInputStream again = new EncryptingInputStream(new ByteArrayInputStream(file), file.length, keys, iv);
    again.skipNBytes(123_457);
    byte[] rest = again.readAllBytes();
    assertThat(rest).isEqualTo(Arrays.copyOfRange(first, 123_457, first.length));
    assertThat(again.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(first));
  }

  @Test
  void afterAFailedWriteTheVerifierStopsAndOneResumedFromWhatWasWrittenVerifies() throws Exception {
    byte[] file = random(300_000);
    EncryptingInputStream encrypting = new EncryptingInputStream(new ByteArrayInputStream(file), file.length, keys, iv);
    byte[] blob = encrypting.readAllBytes();
    byte[] digest = encrypting.digest();
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    DecryptingVerifier verifier = new DecryptingVerifier(keys, file.length, (b, o, n) -> {
      if (written.size() > 100_000) {
        throw new IOException("No space left on device");
      }
      written.write(b, o, n);
    });
    int at = 0;
    while (true) {
      int n = Math.min(64 * 1024, blob.length - at);
      try {
        verifier.update(blob, at, n);
        at += n;
      } catch (IOException e) {
        break; // the digest and MAC took in bytes whose plaintext is not stored
      }
    }
    assertThatThrownBy(() -> verifier.update(blob, (int) verifier.position(), 16)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> verifier.finish(digest)).isInstanceOf(IllegalStateException.class);

    byte[] stored = written.toByteArray();
    long whole = stored.length / 16 * 16;
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    rest.write(stored, 0, (int) whole);
    DecryptingVerifier resumed = new DecryptingVerifier(keys, file.length, rest::write);
    resumed.resume(iv, new ByteArrayInputStream(stored), whole);
    resumed.update(blob, (int) resumed.position(), blob.length - (int) resumed.position());
    resumed.finish(digest);
    assertThat(rest.toByteArray()).isEqualTo(file);
  }

  /** Checks and decrypts the blob in uneven pieces, as a network delivers them; returns the plaintext. */
  private byte[] receive(long size, byte[] blob, byte[] digest) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DecryptingVerifier verifier = new DecryptingVerifier(keys, size, out::write);
    for (int at = 0; at < blob.length; ) {
      int n = Math.min(blob.length - at, 1 + (at % 7919));
      verifier.update(blob, at, n);
      at += n;
    }
    verifier.finish(digest);
    return out.toByteArray();
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }
}
