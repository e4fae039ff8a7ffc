package org.parley.server.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.ClaimLinkCode;
import org.parley.protocol.wire.CreateLinkToken;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.GetLinkCodeStatus;
import org.parley.protocol.wire.SendProvisioning;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.cluster.InProcessNodeBus;
import org.parley.server.limits.LocalRateLimiter;
import org.parley.server.limits.Throttle;
import org.parley.server.store.StoreFixtures;
import org.parley.server.testing.MutableClock;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.Session;
import org.parley.server.transport.TestSessions;

/**
 * What a stranger's account gets from the linking requests: no free scan of link-code slots, no
 * status of a code it did not claim, and only a bounded number of provisioning messages and token
 * requests (each refused before the companion's socket is looked for, here or over the bus).
 */
class LinkServiceLimitsTest {
  private static final ByteString BLOB = ByteString.copyFrom(new byte[64]);
  private static final int BURST = 10; // of link-tokens and provisioning-messages

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
  private final LinkCodes codes = new LocalLinkCodes(clock);
  /** Where the service hands what may wait on the codes; its thread's name tells who ran a call. */
  private final ExecutorService blocking = Executors.newSingleThreadExecutor(r -> new Thread(r, "blocking"));
  /** The threads that asked the codes when a socket's code might be gone (expiresAt, forget). */
  private final List<String> askedOn = new CopyOnWriteArrayList<>();
  private final LinkService service =
      new LinkService(null, clock, Limits.defaults(), 3, new Throttle(new LocalRateLimiter(clock)),
          new InProcessNodeBus(), new Watched(codes), blocking);

  @AfterEach
  void stop() {
    blocking.shutdownNow();
  }

  /**
   * In a cluster the codes are in Redis: a round trip, up to its timeout while Redis is slow. A
   * provisioning socket's expiry and its close run on its event loop, which serves every other
   * connection on it, so they ask the codes elsewhere (a stranger opens and closes such sockets
   * for free).
   */
  @Test
  void aProvisioningSocketsEventLoopNeverWaitsOnTheCodes() {
    EmbeddedChannel channel = new EmbeddedChannel();
    Session socket = TestSessions.provisioning(channel);
    service.opened(socket);
    channel.advanceTimeBy(Limits.defaults().provisioningTtl().toMillis(), TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    service.closed(socket);

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(askedOn).hasSize(2));
    assertThat(askedOn).as("expiresAt, then forget").containsOnly("blocking");
  }

  /** The codes, noting which thread asked them expiresAt and forget. */
  private final class Watched implements LinkCodes {
    private final LinkCodes codes;

    Watched(LinkCodes codes) {
      this.codes = codes;
    }

    @Override
    public Code register(String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind)
        throws ApiException {
      return codes.register(address, client, slot, wrapped, name, kind);
    }

    @Override
    public Claim claim(String slot, String account) throws ApiException {
      return codes.claim(slot, account);
    }

    @Override
    public void wrong(String address) {
      codes.wrong(address);
    }

    @Override
    public Progress status(String slot, String account) throws ApiException {
      return codes.status(slot, account);
    }

    @Override
    public long expiresAt(String address) {
      askedOn.add(Thread.currentThread().getName());
      return codes.expiresAt(address);
    }

    @Override
    public void forget(String address) {
      askedOn.add(Thread.currentThread().getName());
      codes.forget(address);
    }

    @Override
    public Code held(String slot) {
      return codes.held(slot);
    }

    @Override
    public void substitute(String slot, ByteString wrapped) {
      codes.substitute(slot, wrapped);
    }
  }

  @Test
  void statusMissesAreCounted_andOnlyTheClaimerIsAnswered() throws Exception {
    codes.register("companion", "companion", "7KQ2", BLOB, "n", DeviceKind.DESKTOP);
    Session primary = device();
    Session stranger = device();
    service.claimCode(primary, ClaimLinkCode.newBuilder().setSlot("7KQ2").build());

    for (int i = 1; i < BURST; i++) {
      assertThat(status(() -> service.codeStatus(stranger, status("7KQ2")))).isEqualTo(Status.NOT_FOUND);
    }
    assertThat(status(() -> service.codeStatus(stranger, status("7KQ2")))).isEqualTo(Status.NOT_FOUND);
    assertThat(status(() -> service.codeStatus(stranger, status("ZZZZ")))).isEqualTo(Status.RATE_LIMITED);

    // The claimer polls while its companion links: hits never run its bucket dry.
    for (int i = 0; i < 3 * BURST; i++) {
      assertThat(service.codeStatus(primary, status("7KQ2")).join().getLinkCodeStatus().getAttemptsLeft()).isEqualTo(2);
    }
  }

  @Test
  void provisioningMessagesAreRateLimitedPerAccount() {
    Session stranger = device();
    SendProvisioning junk =
        SendProvisioning.newBuilder().setAddress("nobody-waits-here").setBody(ByteString.copyFromUtf8("junk")).build();
    for (int i = 0; i < BURST; i++) {
      assertThat(status(() -> service.relay(stranger, junk))).isEqualTo(Status.NOT_FOUND);
    }
    assertThat(status(() -> service.relay(stranger, junk))).isEqualTo(Status.RATE_LIMITED);
    assertThat(status(() -> service.relay(device(), junk))).isEqualTo(Status.NOT_FOUND);
  }

  @Test
  void linkTokensAreCountedBeforeTheSocketIsLookedFor() {
    Session stranger = device();
    CreateLinkToken request = CreateLinkToken.newBuilder().setProvisioningAddress("nobody-waits-here").build();
    for (int i = 0; i < BURST; i++) {
      assertThat(status(() -> service.token(stranger, request))).isEqualTo(Status.NOT_FOUND);
    }
    assertThat(status(() -> service.token(stranger, request))).isEqualTo(Status.RATE_LIMITED);
  }

  private static GetLinkCodeStatus status(String slot) {
    return GetLinkCodeStatus.newBuilder().setSlot(slot).build();
  }

  private static Session device() {
    return TestSessions.device(
        new EmbeddedChannel(), StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000), Runnable::run);
  }

  interface Call {
    void run() throws ApiException;
  }

  private static Status status(Call call) {
    try {
      call.run();
    } catch (ApiException e) {
      return e.status();
    }
    throw new AssertionError("not refused");
  }
}
