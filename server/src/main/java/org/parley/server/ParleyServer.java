package org.parley.server;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Reconnect;
import org.parley.server.auth.Authenticator;
import org.parley.server.blobs.BlobService;
import org.parley.server.blobs.BlobStore;
import org.parley.server.blobs.BlobStores;
import org.parley.server.cluster.NodeBus;
import org.parley.server.cluster.NodeBusFactory;
import org.parley.server.cluster.RedisAddress;
import org.parley.server.cluster.RedisClients;
import org.parley.server.cluster.Singletons;
import org.parley.server.devices.ActivityTracker;
import org.parley.server.devices.DeviceService;
import org.parley.server.devices.InactivityPolicy;
import org.parley.server.devices.InactivityReaper;
import org.parley.server.devices.LinkService;
import org.parley.server.devices.LinkCodes;
import org.parley.server.groups.GroupService;
import org.parley.server.keys.KeyService;
import org.parley.server.messages.DeviceSessions;
import org.parley.server.messages.GroupFanout;
import org.parley.server.messages.GroupMessageService;
import org.parley.server.messages.MessageService;
import org.parley.server.messages.Presence;
import org.parley.server.limits.LocalRateLimiter;
import org.parley.server.limits.RateLimiter;
import org.parley.server.limits.RedisRateLimiter;
import org.parley.server.limits.Throttle;
import org.parley.server.registration.RegistrationService;
import org.parley.server.registration.SmsSender;
import org.parley.server.ops.DataDirectoryLock;
import org.parley.server.ops.Operations;
import org.parley.server.store.Queues;
import org.parley.server.store.Storage;
import org.parley.server.store.StorageFactory;
import org.parley.server.transport.CompositeSessionListener;
import org.parley.server.transport.ClientAddresses;
import org.parley.server.transport.RequestBounds;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.WebSocketServer;

/**
 * A running relay: the store, the subsystems that answer requests, the housekeeping that runs on a
 * timer, and the listening socket. Each subsystem registers its own requests with the router.
 */
public final class ParleyServer implements AutoCloseable {
  private final ServerConfig config;
  private final Storage storage;
  /** The one Redis client of a clustered node (bus, rate limits, link codes), or null. */
  private final RedisClients redis;
  private final NodeBus bus;
  private final RateLimiter limiter;
  private final Singletons singletons;
  private final BlobStore blobStore;
  private final ExecutorService blocking;
  private final Housekeeping housekeeping;
  private final ActivityTracker activity;
  private final InactivityReaper inactivity;
  private final LinkCodes linkCodes;
  private final Clock clock;
  private final WebSocketServer transport;
  private final DataDirectoryLock lock;
  private final Operations ops;

  private ParleyServer(ServerConfig config, Clock clock, SmsSender sms) throws InterruptedException {
    this.config = config;
    checkBind(config);
    SslContext ssl = ssl(config);
    Limits limits = config.limits();
    this.lock = DataDirectoryLock.acquire(config.dataDirectory());
    try {
      this.storage = StorageFactory.open(config);
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
    this.singletons = Singletons.forCluster(config.cluster());
    RedisClients redis = null;
    try {
      redis = config.cluster().redis() == null ? null : RedisClients.create(RedisAddress.parse(config.cluster().redis()));
      this.bus = NodeBusFactory.open(config.cluster(), redis);
    } catch (RuntimeException e) {
      if (redis != null) {
        redis.close();
      }
      storage.close();
      lock.close();
      throw e;
    }
    this.redis = redis;
    try {
      this.limiter = rateLimiter(config, clock, redis);
    } catch (RuntimeException e) {
      bus.close();
      closeRedis();
      storage.close();
      lock.close();
      throw e;
    }
    this.blocking = Executors.newVirtualThreadPerTaskExecutor();
    this.ops = new Operations(storage, blocking);
    if (config.cluster().redis() != null) {
      ops.readiness().register("redis", bus::check);
    }
    BlobStore blobStore = null;
    LinkCodes codes = null;
    try {
      Queues queues = ops.metrics().instrument(storage.queues());
      blobStore = BlobStores.open(config);
      this.blobStore = blobStore;
      BlobService blobs = new BlobService(blobStore, clock, config.blobLimits());
      Presence presence = new Presence(bus);
      this.activity = new ActivityTracker(storage.accounts(), clock, presence::connected);
      InactivityPolicy policy =
          new InactivityPolicy(clock, config.primaryInactivity(), config.companionInactivity());
      this.inactivity =
          new InactivityReaper(storage.accounts(), activity, presence, policy, clock, blocking);
      DeviceSessions sessions =
          new DeviceSessions(
              presence, queues, storage.keys(), activity, blocking, limits, ops.metrics().delivered(), config.ackHold());
      Throttle throttle = new Throttle(limiter);
      // In Redis when clustered with one: a primary on any node claims a code shown on another.
      codes = LinkCodes.open(redis, clock);
      this.linkCodes = codes;
      LinkService linking =
          new LinkService(
              storage.accounts(), clock, limits, config.maxCompanions(), throttle, bus, linkCodes, blocking);

      RequestRouter router = new RequestRouter(ops.metrics()::refused);
      new RegistrationService(
              storage.accounts(), storage.verificationCodes(), storage.registrationLocks(), presence, sms, clock, limits,
              throttle)
          .routes(router);
      new KeyService(storage.accounts(), storage.keys(), presence, limits, throttle).routes(router);
      new MessageService(storage.accounts(), queues, presence, clock, limits, blobs, throttle).routes(router);
      new DeviceService(storage.accounts(), presence, clock, policy, limits, config.maxCompanions(), throttle)
          .routes(router);
      linking.routes(router);
      blobs.routes(router);
      Authenticator authenticator = new Authenticator(storage.accounts());
      GroupFanout fanout = new GroupFanout(queues, presence, limits);
      new GroupService(storage.accounts(), storage.groups(), fanout, clock, limits, throttle).routes(router);
      new GroupMessageService(storage.groups(), fanout, clock, limits, blobs, throttle).routes(router);

      this.housekeeping = new Housekeeping();
      housekeeping.every(activityFlushPeriod(config), activity::flush);
      // Unlinks and expiry run on one node at a time; each node still flushes its own devices' activity.
      housekeeping.every(reaperPeriod(config), () -> singletons.runAlone("inactivity-reaper", inactivity::reap));
      this.clock = clock;
      housekeeping.every(
          min(Duration.ofHours(1), config.queueTtl().dividedBy(10)),
          () -> singletons.runAlone("queue-expiry", this::expireQueues));
      housekeeping.every(blobs.expiryPeriod(), () -> singletons.runAlone("blob-expiry", blobs::expire));

      ops.openAdmin(config.adminBind(), config.adminPort(), config.dataDirectory(), storage, presence, clock);
      this.transport =
          new WebSocketServer(
              config.bindHost(),
              config.port(),
              ssl,
              authenticator,
              router,
              new CompositeSessionListener(List.of(sessions, linking, inactivity, ops.connections())),
              sessions,
              blocking,
              limits,
              new RequestBounds(limits, config.maxCompanions()),
              new ClientAddresses(config.trustedProxies()),
              List.of(ops.healthEndpoint(), blobs.httpEndpoint(authenticator, blocking)),
              config.transport());
    } catch (RuntimeException | InterruptedException e) {
      if (blobStore != null) {
        blobStore.close();
      }
      if (codes != null) {
        codes.close();
      }
      ops.close();
      closeLimiter();
      bus.close();
      closeRedis();
      storage.close();
      blocking.shutdownNow();
      lock.close();
      throw e;
    }
  }

  public static ParleyServer start(ServerConfig config, Clock clock, SmsSender sms)
      throws InterruptedException {
    return new ParleyServer(config, clock, sms);
  }

  public int port() {
    return transport.port();
  }

  /** The address devices connect to, as printed in "listening on ...". */
  public String url() {
    return (config.tls() ? "wss://" : "ws://") + hostForUrl(config.bindHost()) + ":" + port();
  }

  /** The admin listener (metrics, health, {@code parley admin}). */
  public String adminUrl() {
    return ops.adminUrl();
  }

  /** Meters and readiness, for subsystems that add their own. */
  public Operations operations() {
    return ops;
  }

  /**
   * Stops the way SIGTERM asks: reports not ready, stops accepting, tells every device to reconnect
   * elsewhere, finishes and answers every request in flight, then closes. Nothing acknowledged as
   * stored is lost, and nothing is left half done.
   */
  public void drainAndClose() {
    ops.readiness().draining("the server is stopping");
    try {
      transport.drain(ParleyServer::reconnect, config.drainTimeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
  }

  /** Spreads the reconnects of every device over a few seconds, so the next node is not hit at once. */
  private static Push reconnect() {
    long retryAfter = 500 + ThreadLocalRandom.current().nextLong(2500);
    return Push.newBuilder().setReconnect(Reconnect.newBuilder().setRetryAfterMs(retryAfter)).build();
  }

  /** The link codes waiting on this node (docs/PROTOCOL.md §6.1): what the operator holds of them. */
  public LinkCodes linkCodes() {
    return linkCodes;
  }

  /** For tests that must reach behind the protocol (a ghost device inserted into the store). */
  public Storage storage() {
    return storage;
  }

  /** Drops envelopes older than the queue TTL (30 days by default); returns how many. */
  public int expireQueues() {
    return storage.queues().purgeStoredBefore(clock.millis() - config.queueTtl().toMillis());
  }

  /** The inactivity reaper, for tests that move a clock and want a pass now. */
  public InactivityReaper inactivity() {
    return inactivity;
  }

  @Override
  public void close() {
    transport.close();
    housekeeping.close();
    // Last-seen times are what the reaper decides by: keep them across a restart.
    activity.flush();
    blocking.shutdown();
    closeLimiter();
    bus.close();
    linkCodes.close();
    closeRedis();
    singletons.close();
    blobStore.close();
    ops.close();
    storage.close();
    lock.close();
  }

  /** Buckets shared by the nodes in their Redis when clustered with one, else this process's own. */
  private static RateLimiter rateLimiter(ServerConfig config, Clock clock, RedisClients redis) {
    if (!config.rateLimits()) {
      return RateLimiter.unlimited();
    }
    if (redis != null) {
      return new RedisRateLimiter(redis, clock);
    }
    return new LocalRateLimiter(clock);
  }

  /** After everything that has a connection on it. */
  private void closeRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  private void closeLimiter() {
    if (limiter instanceof RedisRateLimiter shared) {
      shared.close();
    }
  }

  private static Duration activityFlushPeriod(ServerConfig config) {
    Duration shortest = min(config.primaryInactivity(), config.companionInactivity());
    Duration period = min(Duration.ofSeconds(5), shortest.dividedBy(10));
    return period.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : period;
  }

  /** Often enough that an unlink lands within a twentieth of its window, and at least once a minute. */
  private static Duration reaperPeriod(ServerConfig config) {
    Duration period =
        min(Duration.ofMinutes(1), min(config.primaryInactivity(), config.companionInactivity()).dividedBy(20));
    return period.compareTo(Duration.ofMillis(50)) < 0 ? Duration.ofMillis(50) : period;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static void checkBind(ServerConfig config) {
    if (config.tls() || config.insecureBind()) {
      return;
    }
    try {
      if (!InetAddress.getByName(config.bindHost()).isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "refusing to serve unencrypted ws:// on " + config.bindHost()
                + "; give --tls-cert and --tls-key, or --insecure-bind if a proxy terminates TLS");
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("unknown bind address " + config.bindHost());
    }
  }

  private static SslContext ssl(ServerConfig config) {
    if (!config.tls()) {
      return null;
    }
    if (config.tlsKey() == null) {
      throw new IllegalArgumentException("--tls-cert needs --tls-key");
    }
    try {
      return SslContextBuilder.forServer(config.tlsCertificate().toFile(), config.tlsKey().toFile()).build();
    } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot use the TLS certificate " + config.tlsCertificate() + " and key " + config.tlsKey()
              + ": " + e.getMessage());
    }
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }
}
