package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.IoHandlerFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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

  /** The kernel's refusal of the loops' ring, where Netty's probe passed (e.g. a small locked-memory limit). */
  private static final Function<Transport, IoHandlerFactory> RING_REFUSED = t -> t == Transport.IO_URING
      ? executor -> {
        throw new IllegalStateException("failed to create io_uring ring fd: Cannot allocate memory");
      }
      : t.ioHandlerFactory();

  @Test
  void autoFallsBackWhenTheKernelRefusesTheLoopsRingAndSaysWhy() {
    assumeTrue(Transport.IO_URING.available(), "io_uring is not available on this machine");
    Transport.Loops loops = Transport.start("auto", 1, RING_REFUSED);
    try {
      assertThat(loops.transport()).isEqualTo(Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO);
      assertThat(loops.fallback()).isEqualTo("io_uring could not start its event loops (failed to create io_uring ring fd: Cannot allocate memory)");
      assertThat(loops.group().next().submit(() -> 42).syncUninterruptibly().getNow()).isEqualTo(42);
    } finally {
      loops.group().shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void theDefaultFallsBackToNioWhenEpollsLoopsCannotStart() {
    assumeTrue(Transport.EPOLL.available(), "epoll is not available on this machine");
    Transport.Loops loops = Transport.start(null, 1, t -> t == Transport.EPOLL
        ? executor -> {
          throw new IllegalStateException("epoll refused");
        }
        : t.ioHandlerFactory());
    try {
      assertThat(loops.transport()).isEqualTo(Transport.NIO);
      assertThat(loops.fallback()).isEqualTo("epoll could not start its event loops (epoll refused)");
      assertThat(loops.group().next().submit(() -> 42).syncUninterruptibly().getNow()).isEqualTo(42);
    } finally {
      loops.group().shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aNamedTransportWhoseLoopsCannotStartStopsWithTheReason() {
    assumeTrue(Transport.IO_URING.available(), "io_uring is not available on this machine");
    assertThatThrownBy(() -> Transport.start("io_uring", 1, RING_REFUSED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("transport io_uring could not start its event loops (failed to create io_uring ring fd: Cannot allocate memory);"
            + " choose auto to fall back, or another");
  }

  @Test
  void theLoopsStartOnTheChosenTransport() {
    Transport.Loops loops = Transport.start(null, 1);
    try {
      assertThat(loops.transport()).isEqualTo(Transport.choose(null).transport());
      assertThat(loops.fellBack()).isEqualTo(Transport.choose(null).fellBack());
    } finally {
      loops.group().shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aNamedTransportThatIsAvailableIsTakenAsIs() {
    assumeTrue(Transport.IO_URING.available(), "io_uring is not available on this machine");
    assertThat(Transport.choose("io_uring").transport()).isEqualTo(Transport.IO_URING);
  }
}
