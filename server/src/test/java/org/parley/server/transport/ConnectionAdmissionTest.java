package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Eviction order under a flood of strangers: only verified facts count (the client address), never
 * what a stranger sent. The most crowded address gives way first, oldest connection first, so a
 * device, a provisioning socket or a registering client on its own address outlives any number of
 * newer strangers from a few flooding addresses, however long its credentials take to check.
 */
class ConnectionAdmissionTest {
  private final ConnectionAdmission admission = new ConnectionAdmission(10_000, 200, 20);

  @Test
  void aFloodFromFewAddressesOnlyEvictsTheFloodHoweverLongADeviceWaits() {
    Channel device = new EmbeddedChannel();
    Channel companionShowingACode = new EmbeddedChannel();
    assertThat(admitted(device, "192.0.2.1")).isNull();
    assertThat(admitted(companionShowingACode, "192.0.2.2")).isNull();

    List<Channel> evicted = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      Channel evictedNow = admitted(new EmbeddedChannel(), "10.0.1." + (i % 20));
      if (evictedNow != null) {
        evicted.add(evictedNow);
      }
    }
    assertThat(evicted).hasSize(5_000 + 2 - 200).doesNotContain(device, companionShowingACode);
    assertThat(admission.unauthenticated()).isEqualTo(200);
  }

  @Test
  void theMostCrowdedAddressGivesWayOldestFirst() {
    ConnectionAdmission small = new ConnectionAdmission(100, 4, 10);
    Channel lone = new EmbeddedChannel();
    Channel first = new EmbeddedChannel();
    Channel second = new EmbeddedChannel();
    Channel third = new EmbeddedChannel();
    small.admit(first, "10.0.0.2");
    small.admit(lone, "10.0.0.1");
    small.admit(second, "10.0.0.2");
    small.admit(third, "10.0.0.2");

    assertThat(evicted(small.admit(new EmbeddedChannel(), "10.0.0.3"))).isSameAs(first);
    assertThat(evicted(small.admit(new EmbeddedChannel(), "10.0.0.4"))).isSameAs(second);
    assertThat(small.unauthenticated()).isEqualTo(4);
  }

  @Test
  void whenEveryAddressHoldsOneTheOldestGoes() {
    ConnectionAdmission small = new ConnectionAdmission(100, 3, 10);
    Channel older = new EmbeddedChannel();
    Channel newer = new EmbeddedChannel();
    small.admit(older, "10.0.0.1");
    small.admit(newer, "10.0.0.2");
    small.admit(new EmbeddedChannel(), "10.0.0.3");
    assertThat(evicted(small.admit(new EmbeddedChannel(), "10.0.0.4"))).isSameAs(older);
    assertThat(evicted(small.admit(new EmbeddedChannel(), "10.0.0.5"))).isSameAs(newer);
  }

  @Test
  void anAuthenticatedDeviceIsNeverEvictedAndNoLongerCounts() {
    ConnectionAdmission small = new ConnectionAdmission(100, 2, 10);
    Channel device = new EmbeddedChannel();
    small.admit(device, "10.0.0.1");
    small.authenticated(device);
    for (int i = 0; i < 10; i++) {
      assertThat(evicted(small.admit(new EmbeddedChannel(), "10.0.0.2"))).isNotSameAs(device);
    }
    assertThat(small.unauthenticated()).isEqualTo(2);
  }

  @Test
  void perAddressCountIsReleasedWhenCredentialsCheckOutOrTheConnectionCloses() {
    ConnectionAdmission small = new ConnectionAdmission(100, 50, 2);
    Channel a = new EmbeddedChannel();
    Channel b = new EmbeddedChannel();
    assertThat(small.admit(a, "10.0.0.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
    assertThat(small.admit(b, "10.0.0.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
    assertThat(small.admit(new EmbeddedChannel(), "10.0.0.1")).isInstanceOf(ConnectionAdmission.Refused.class);

    small.authenticated(a);
    small.closed(b);
    assertThat(small.admit(new EmbeddedChannel(), "10.0.0.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
    assertThat(small.admit(new EmbeddedChannel(), "10.0.0.1")).isInstanceOf(ConnectionAdmission.Admitted.class);
    assertThat(small.admit(new EmbeddedChannel(), "10.0.0.1")).isInstanceOf(ConnectionAdmission.Refused.class);
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
    assertThat(behindProxy.unauthenticated()).isEqualTo(2);
  }

  private Channel admitted(Channel channel, String address) {
    return evicted(admission.admit(channel, address));
  }

  private static Channel evicted(ConnectionAdmission.Result result) {
    return ((ConnectionAdmission.Admitted) result).evicted();
  }
}
