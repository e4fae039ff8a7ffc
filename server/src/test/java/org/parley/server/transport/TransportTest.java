package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

class TransportTest {
  @Test
  void anUnknownNameIsRefusedNamingTheChoices() {
    assertThatThrownBy(() -> Transport.choose("kqueue"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'kqueue'")
        .hasMessageContaining("auto, io_uring, epoll or nio");
    assertThatThrownBy(() -> Transport.choose(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auto, io_uring, epoll or nio");
  }

  @Test
  void autoTakesTheFirstAvailableInOrderAndSaysWhatItPassedOver() {
    Transport.Choice auto = Transport.choose("auto");
    Transport expected =
        Transport.IO_URING.available() ? Transport.IO_URING : Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
    assertThat(auto.transport()).isEqualTo(expected);
    assertThat(auto.fellBack()).isEqualTo(expected != Transport.IO_URING);
    if (auto.fellBack()) {
      assertThat(auto.fallback()).startsWith("io_uring unavailable (");
    }
  }

  @Test
  void noChoiceStaysOnEpollAsBeforeTheOptionExisted() {
    Transport.Choice none = Transport.choose(null);
    assertThat(none.transport()).isEqualTo(Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO);
    assertThat(none.fellBack()).isEqualTo(!Transport.EPOLL.available());
  }

  @Test
  void namesAreTheOperatorsSpellingAndCaseDoesNotMatter() {
    assertThat(Transport.choose(" NIO ").transport()).isEqualTo(Transport.NIO);
    assertThat(Transport.choose("nio").fellBack()).isFalse();
    assertThat(Transport.IO_URING.label()).isEqualTo("io_uring");
  }

  @Test
  void aNamedTransportThatIsAvailableIsTakenAsIs() {
    assumeTrue(Transport.IO_URING.available(), "io_uring is not available on this machine");
    assertThat(Transport.choose("io_uring").transport()).isEqualTo(Transport.IO_URING);
  }
}
