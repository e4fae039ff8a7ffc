package org.parley.bench.modes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The relay mode's --ack-delay: the units it takes and what it refuses. */
class AckDelayOptionTest {
  @Test
  void takesZeroMicrosecondsMillisecondsAndSeconds() {
    assertThat(RelayMode.nanos("0")).isZero();
    assertThat(RelayMode.nanos("500us")).isEqualTo(500_000);
    assertThat(RelayMode.nanos("1.5ms")).isEqualTo(1_500_000);
    assertThat(RelayMode.nanos("2s")).isEqualTo(2_000_000_000L);
  }

  @Test
  void refusesWhatIsNotADurationAndAnythingPastTenSeconds() {
    for (String bad : new String[] {"1 ms", "-1ms", "1"}) {
      assertThatThrownBy(() -> RelayMode.nanos(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("write it like");
    }
    assertThatThrownBy(() -> RelayMode.nanos("11s")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 10s");
  }
}
