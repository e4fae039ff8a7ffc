package org.parley.server.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.GetKeysBatch;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.limits.LocalRateLimiter;
import org.parley.server.limits.Throttle;
import org.parley.server.store.StoreFixtures;
import org.parley.server.testing.MutableClock;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.Session;
import org.parley.server.transport.TestSessions;

/**
 * A batch fetch pays for its requests before any account of it is looked up: an account whose
 * key-fetch bucket is empty gets no lookup at all (up to a bucket's worth per batch), not a
 * thousand lookups and then the refusal.
 */
class KeyFetchLimitTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
  private final Limits limits = Limits.defaults();
  private final KeyService service =
      new KeyService(null, null, null, limits, new Throttle(new LocalRateLimiter(clock)));
  private final Session session =
      TestSessions.device(
          new EmbeddedChannel(), StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000), Runnable::run);

  @Test
  void aBatchIsPaidForBeforeAnyLookup() {
    long burst = limits.rates().keyFetches().burst();
    // Within the bucket the lookups run (here each finds a bad id) and are paid for all the same.
    assertThatThrownBy(() -> service.fetchBatch(session, batch(burst)))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST));
    // With the bucket empty, the next batch is refused whole before its first lookup.
    assertThatThrownBy(() -> service.fetchBatch(session, batch(burst)))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(Status.RATE_LIMITED))
        .hasMessageContaining("pre-key bundles fetched");
  }

  private static GetKeysBatch batch(long targets) {
    GetKeysBatch.Builder batch = GetKeysBatch.newBuilder();
    for (long i = 0; i < targets; i++) {
      batch.addTargets(GetKeys.newBuilder().setAccountId("not-an-account-id"));
    }
    return batch.build();
  }
}
