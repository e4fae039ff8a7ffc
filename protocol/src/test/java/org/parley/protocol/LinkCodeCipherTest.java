package org.parley.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class LinkCodeCipherTest {
  private final SecureRandom random = new SecureRandom();

  @Test
  void aCodeIsEightUnambiguousCharactersAndIsReadAsTyped() {
    String code = LinkCodeCipher.generate(random);
    assertThat(code).matches("[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}");
    assertThat(LinkCodeCipher.normalize(code.toLowerCase().replace("-", " "))).isEqualTo(code);
    assertThat(LinkCodeCipher.normalize("o1il-abcd")).isEqualTo("0111-ABCD");
    assertThat(LinkCodeCipher.slot("7KQ2-M9XD")).isEqualTo("7KQ2");
  }

  @Test
  void aDamagedCodeIsRefusedWithASentence() {
    assertThatThrownBy(() -> LinkCodeCipher.normalize("7KQ2-M9X"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("8 characters");
    assertThatThrownBy(() -> LinkCodeCipher.normalize("7KQ2-M9XU"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'U' is not in a link code");
  }

  @Test
  void onlyTheRightCodeUnwrapsTheKeys_anyOtherGivesKeysOfTheSameShape() {
    byte[] provisioning = key();
    byte[] identity = key();
    byte[] wrapped = LinkCodeCipher.wrap("7KQ2-M9XD", provisioning, identity);

    assertThat(wrapped).hasSize(64);
    byte[][] right = LinkCodeCipher.unwrap("7kq2m9xd", wrapped);
    assertThat(right[0]).isEqualTo(provisioning);
    assertThat(right[1]).isEqualTo(identity);
    byte[][] wrong = LinkCodeCipher.unwrap("7KQ2-M9XE", wrapped);
    assertThat(wrong[0]).hasSize(32).isNotEqualTo(provisioning);
    assertThat(wrong[1]).hasSize(32).isNotEqualTo(identity);
  }

  /**
   * A real X25519 key has bit 255 clear; were it wrapped as is, a wrong code would show itself for
   * half the guesses. The wrap sets it at random, the unwrap clears it: the keys come back the same.
   */
  @Test
  void theTopBitOfEachKeyIsWrappedRandomAndClearedOnUnwrapping() {
    byte[] provisioning = key();
    byte[] identity = key();
    byte[] clear = LinkCodeCipher.wrap("7KQ2-M9XD", provisioning, identity, fixed((byte) 0));
    byte[] set = LinkCodeCipher.wrap("7KQ2-M9XD", provisioning, identity, fixed((byte) 0xFF));

    for (int i = 0; i < 64; i++) {
      int expected = i == 31 || i == 63 ? 0x80 : 0;
      assertThat((clear[i] ^ set[i]) & 0xFF).as("byte %d", i).isEqualTo(expected);
    }
    for (byte[] wrapped : new byte[][] {clear, set}) {
      byte[][] keys = LinkCodeCipher.unwrap("7KQ2-M9XD", wrapped);
      assertThat(keys[0]).isEqualTo(provisioning);
      assertThat(keys[1]).isEqualTo(identity);
    }
    assertThat(LinkCodeCipher.unwrap("7KQ2-M9XE", set)[0][31] & 0x80).as("cleared under any code").isZero();
    byte[] notAKey = key();
    notAKey[31] |= (byte) 0x80;
    assertThatThrownBy(() -> LinkCodeCipher.wrap("7KQ2-M9XD", notAKey, identity))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** 32 random bytes with bit 255 clear, like a raw X25519 public key. */
  private byte[] key() {
    byte[] key = new byte[32];
    random.nextBytes(key);
    key[31] &= 0x7F;
    return key;
  }

  private static SecureRandom fixed(byte value) {
    return new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        java.util.Arrays.fill(bytes, value);
      }
    };
  }
}
