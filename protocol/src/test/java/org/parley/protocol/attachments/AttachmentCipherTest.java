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

      verifier(size, blob).verify(encrypting.digest());
      assertThat(decrypt(blob, size)).isEqualTo(file);
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
    assertThatThrownBy(() -> verifier(file.length, flipped).verify(digest)).hasMessageContaining("SHA-256");
    // an attacker who also restates the digest still fails the MAC
    byte[] restated = MessageDigest.getInstance("SHA-256").digest(flipped);
    assertThatThrownBy(() -> verifier(file.length, flipped).verify(restated)).hasMessageContaining("MAC");

    byte[] truncated = Arrays.copyOf(blob, blob.length - 1);
    assertThatThrownBy(() -> verifier(file.length, truncated).verify(digest)).hasMessageContaining("bytes");
    byte[] longer = Arrays.copyOf(blob, blob.length + 16);
    assertThatThrownBy(() -> verifier(file.length, longer).verify(digest)).hasMessageContaining("bytes");

    byte[] wrong = digest.clone();
    wrong[0] ^= 1;
    assertThatThrownBy(() -> verifier(file.length, blob).verify(wrong)).hasMessageContaining("digest");

    AttachmentKeys otherKeys = AttachmentKeys.random();
    AttachmentVerifier other = new AttachmentVerifier(otherKeys, file.length);
    other.update(blob, 0, blob.length);
    assertThatThrownBy(() -> other.verify(digest)).hasMessageContaining("MAC");
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

  private AttachmentVerifier verifier(long size, byte[] blob) {
    AttachmentVerifier verifier = new AttachmentVerifier(keys, size);
    // in uneven pieces, as a network delivers them
    for (int at = 0; at < blob.length; ) {
      int n = Math.min(blob.length - at, 1 + (at % 7919));
      verifier.update(blob, at, n);
      at += n;
    }
    return verifier;
  }

  private byte[] decrypt(byte[] blob, long size) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AttachmentDecryptor.decrypt(new ByteArrayInputStream(blob), out, keys, size);
    return out.toByteArray();
  }

  private static byte[] random(int n) {
    byte[] bytes = new byte[n];
    new Random(n).nextBytes(bytes);
    return bytes;
  }
}
