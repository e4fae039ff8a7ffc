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
    byte[] provisioning = new byte[32];
    byte[] identity = new byte[32];
    random.nextBytes(provisioning);
    random.nextBytes(identity);
    byte[] wrapped = LinkCodeCipher.wrap("7KQ2-M9XD", provisioning, identity);

    assertThat(wrapped).hasSize(64);
    byte[][] right = LinkCodeCipher.unwrap("7kq2m9xd", wrapped);
    assertThat(right[0]).isEqualTo(provisioning);
    assertThat(right[1]).isEqualTo(identity);
    byte[][] wrong = LinkCodeCipher.unwrap("7KQ2-M9XE", wrapped);
    assertThat(wrong[0]).hasSize(32).isNotEqualTo(provisioning);
    assertThat(wrong[1]).hasSize(32).isNotEqualTo(identity);
  }
}
