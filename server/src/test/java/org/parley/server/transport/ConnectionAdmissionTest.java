package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * Eviction order under a flood of strangers: the oldest silent stranger goes first; a connection
 * whose credentials are being checked (a device, on a busy server, for longer than a flood needs to
 * bring hundreds of newer strangers) goes only when no silent one is left.
 */
class ConnectionAdmissionTest {
  private final ConnectionAdmission admission = new ConnectionAdmission(100, 3, 10);

  @Test
  void silentStrangersAreEvictedOldestFirstBeforeConnectionsShowingCredentials() {
    Channel device = new EmbeddedChannel();
    assertThat(admitted(device, "10.0.0.1")).isNull();
    admission.checking(device);
    Channel first = new EmbeddedChannel();
    Channel second = new EmbeddedChannel();
    assertThat(admitted(first, "10.0.0.2")).isNull();
    assertThat(admitted(second, "10.0.0.2")).isNull();

    assertThat(admitted(new EmbeddedChannel(), "10.0.0.2")).as("the oldest silent stranger").isSameAs(first);
    assertThat(admitted(new EmbeddedChannel(), "10.0.0.2")).isSameAs(second);
    assertThat(admission.unauthenticated()).isEqualTo(3);

    admission.authenticated(device);
    assertThat(admission.unauthenticated()).isEqualTo(2);
  }

  @Test
  void whenOnlyConnectionsShowingCredentialsAreLeftTheOldestOfThemGoes() {
    Channel older = new EmbeddedChannel();
    Channel newer = new EmbeddedChannel();
    Channel newest = new EmbeddedChannel();
    for (Channel channel : new Channel[] {older, newer, newest}) {
      admitted(channel, "10.0.0.1");
      admission.checking(channel);
    }
    assertThat(admitted(new EmbeddedChannel(), "10.0.0.2")).isSameAs(older);
    assertThat(admission.unauthenticated()).isEqualTo(3);
  }

  @Test
  void perAddressCountIsReleasedWhenCredentialsCheckOutOrTheConnectionCloses() {
    ConnectionAdmission small = new ConnectionAdmission(100, 50, 2);
    Channel a = new EmbeddedChannel();
    Channel b = new EmbeddedChannel();
    assertThat(small.admit(a, "10.0.0.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
    assertThat(small.admit(b, "10.0.0.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
    assertThat(small.admit(new EmbeddedChannel(), "10.0.0.1")).isInstanceOf(ConnectionAdmission.Refused.class);

    small.checking(a);
    assertThat(small.admit(new EmbeddedChannel(), "10.0.0.1"))
        .as("still a stranger while its credentials are checked").isInstanceOf(ConnectionAdmission.Refused.class);
    small.authenticated(a);
    small.closed(b);
    assertThat(small.admit(new EmbeddedChannel(), "10.0.0.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
  }

  @Test
  void theGlobalCapRefusesNewConnectionsUntilOneCloses() {
    ConnectionAdmission capped = new ConnectionAdmission(3, 3, 10);
    Channel[] devices = {new EmbeddedChannel(), new EmbeddedChannel(), new EmbeddedChannel()};
    for (int i = 0; i < devices.length; i++) {
      assertThat(capped.admit(devices[i], "10.0.0." + i)).isInstanceOf(ConnectionAdmission.Admitted.class);
      capped.authenticated(devices[i]);
    }
    ConnectionAdmission.Result full = capped.admit(new EmbeddedChannel(), "10.0.1.1");
    assertThat(full).isInstanceOf(ConnectionAdmission.Refused.class);
    assertThat(((ConnectionAdmission.Refused) full).reason()).contains("as many connections as it can hold");

    capped.closed(devices[0]);
    assertThat(capped.admit(new EmbeddedChannel(), "10.0.1.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
  }

  @Test
  void aClientATrustedProxyNamesIsCountedUnderItsOwnAddress() {
    ConnectionAdmission behindProxy = new ConnectionAdmission(10, 10, 1);
    Channel viaProxy = new EmbeddedChannel();
    Channel again = new EmbeddedChannel();
    behindProxy.admit(viaProxy, null);
    behindProxy.admit(again, null);
    assertThat(behindProxy.rekey(viaProxy, "203.0.113.7")).isTrue();
    assertThat(behindProxy.rekey(again, "203.0.113.7")).as("a second stranger from the same client").isFalse();
    assertThat(behindProxy.rekey(again, "203.0.113.8")).isTrue();
  }

  private Channel admitted(Channel channel, String address) {
    return ((ConnectionAdmission.Admitted) admission.admit(channel, address)).evicted();
  }
}
