package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.cli.daemon.Daemon;
import org.parley.client.ClientConfig;
import org.parley.client.store.ProfileStore;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * The daemon's webhook against a real HTTP server that first never answers, then answers slowly:
 * what the profile keeps for it stays within its backlog whatever the hook does, the hook is told
 * how many events it missed, and once it answers it gets every event still kept, in order.
 */
@WithTestServer
class WebhookIT {
  private static final String ALICE = "+15550001301";
  private static final String BOB = "+15550001302";
  private static final int BACKLOG = 5;
  private static final int SENT = 12;

  @TempDir Path dir;
  TestServer server;
  Daemon daemon;
  HttpServer hook;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @AfterEach
  void stop() {
    if (daemon != null) {
      daemon.close();
    }
    if (hook != null) {
      hook.stop(0);
    }
  }

  @Test
  void aHookThatNeverAnswersHoldsAtMostItsBacklogAndIsToldWhatItMissedOnceItAnswersSlowly() throws Exception {
    Cli cli = new Cli(dir);
    for (String[] who : new String[][] {{"alice", ALICE}, {"bob", BOB}}) {
      assertThat(cli.parley(who[0], "register", "--server", server.url(), "--phone", who[1]).code()).isZero();
      assertThat(cli.parley(who[0], "verify", server.sms().codeFor(who[1])).code()).isZero();
    }

    // The hook reads each request and, until the gate opens, never answers it; after that it answers
    // one request per permit the test hands out: a slow hook, at a pace the test sets.
    CountDownLatch answering = new CountDownLatch(1);
    Semaphore permits = new Semaphore(0);
    AtomicInteger unanswered = new AtomicInteger();
    List<JsonNode> taken = new CopyOnWriteArrayList<>();
    hook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    hook.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    hook.createContext("/hook", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (answering.getCount() > 0) {
        unanswered.incrementAndGet();
        waitFor(answering);
        exchange.close(); // the daemon gave up on this one long ago
        return;
      }
      acquire(permits);
      taken.add(RpcClient.JSON.readTree(new String(body, StandardCharsets.UTF_8)));
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    hook.start();

    Path bob = dir.resolve("bob");
    // Events are kept no time at all for other consumers: what stays is what is kept for the hook.
    daemon =
        Daemon.start(
            new Daemon.Options(
                List.of(bob), false, bob, null, null, null,
                URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/hook"),
                Duration.ZERO, ClientConfig.defaults(), new Daemon.WebhookLimits(BACKLOG, Duration.ofSeconds(1))));
    long before = maxEventId(bob);
    for (int i = 1; i <= SENT; i++) {
      assertThat(cli.parley("alice", "send", "--to", BOB, "m" + i).code()).isZero();
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> maxEventId(bob) >= before + SENT);
    long last = maxEventId(bob);

    // The hook has been tried (and timed out) more than once; the profile keeps at most BACKLOG events.
    await().atMost(Duration.ofSeconds(120)).until(() -> unanswered.get() >= 2 && keptEvents(bob) <= BACKLOG);
    assertThat(minEventId(bob)).isGreaterThan(last - BACKLOG);

    // The hook answers again, slowly: one answer per permit, the profile's hold bounded throughout.
    answering.countDown();
    int gapAndKept = 1 + BACKLOG;
    for (int i = 0; i < gapAndKept; i++) {
      permits.release();
      int now = i + 1;
      await().atMost(Duration.ofSeconds(120)).until(() -> taken.size() >= now);
      assertThat(keptEvents(bob)).isLessThanOrEqualTo(BACKLOG);
    }
    JsonNode gap = taken.getFirst();
    assertThat(gap.path("type").asText()).isEqualTo("forgotten");
    long oldestKept = gap.path("oldestKept").asLong();
    assertThat(gap.path("missed").asLong()).isEqualTo(oldestKept - 1 - gap.path("since").asLong()).isPositive();
    List<Long> ids = new ArrayList<>();
    for (JsonNode event : taken.subList(1, taken.size())) {
      ids.add(event.path("eventId").asLong());
    }
    assertThat(ids).as("the events still kept, in order, none missing after the gap")
        .containsExactly(java.util.stream.LongStream.range(oldestKept, oldestKept + BACKLOG).boxed().toArray(Long[]::new));
    assertThat(ids.getLast()).isEqualTo(last);
    assertThat(bodies(taken)).isNotEmpty().endsWith("m" + SENT);

    // And what happens from now on comes as it happens.
    permits.release(10);
    assertThat(cli.parley("alice", "send", "--to", BOB, "after").code()).isZero();
    await().atMost(Duration.ofSeconds(120)).until(() -> bodies(taken).contains("after"));
    assertThat(taken.stream().filter(e -> e.path("type").asText().equals("forgotten"))).hasSize(1);
  }

  @Test
  void aHookStartedOnAnEmptyLogGetsAfterARestartWhatCameWhileItWasAway() throws Exception {
    Cli cli = new Cli(dir);
    for (String[] who : new String[][] {{"alice", ALICE}, {"bob", BOB}}) {
      assertThat(cli.parley(who[0], "register", "--server", server.url(), "--phone", who[1]).code()).isZero();
      assertThat(cli.parley(who[0], "verify", server.sms().codeFor(who[1])).code()).isZero();
    }
    Path bob = dir.resolve("bob");
    assertThat(maxEventId(bob)).as("a newly registered profile has logged nothing: the hook starts on an empty log")
        .isZero();

    // The hook refuses everything (it is down, as far as the daemon can tell) until it is up.
    AtomicBoolean up = new AtomicBoolean();
    AtomicInteger refused = new AtomicInteger();
    List<JsonNode> taken = new CopyOnWriteArrayList<>();
    hook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    hook.createContext("/hook", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (up.get()) {
        taken.add(RpcClient.JSON.readTree(new String(body, StandardCharsets.UTF_8)));
        exchange.sendResponseHeaders(200, -1);
      } else {
        refused.incrementAndGet();
        exchange.sendResponseHeaders(503, -1);
      }
      exchange.close();
    });
    hook.start();
    Daemon.Options options =
        new Daemon.Options(
            List.of(bob), false, bob, null, null, null,
            URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/hook"),
            Duration.ofDays(1), ClientConfig.defaults(), new Daemon.WebhookLimits(BACKLOG, Duration.ofSeconds(5)));

    daemon = Daemon.start(options);
    assertThat(cli.parley("alice", "send", "--to", BOB, "while-away").code()).isZero();
    await().atMost(Duration.ofSeconds(60)).until(() -> refused.get() >= 1);
    daemon.close();

    up.set(true);
    daemon = Daemon.start(options);
    assertThat(cli.parley("alice", "send", "--to", BOB, "after-restart").code()).isZero();
    await().atMost(Duration.ofSeconds(60)).until(() -> bodies(taken).contains("after-restart"));
    assertThat(bodies(taken)).as("the event logged while the hook was away comes first, once")
        .containsExactly("while-away", "after-restart");
    assertThat(taken).noneMatch(e -> e.path("type").asText().equals("forgotten"));
  }

  private static List<String> bodies(List<JsonNode> events) {
    return events.stream()
        .filter(e -> e.path("type").asText().equals("message"))
        .map(e -> e.path("body").asText())
        .toList();
  }

  /** How many events the profile holds, read from its database beside the running daemon (as an operator would). */
  private static long keptEvents(Path profile) throws SQLException {
    return query(profile, "SELECT COUNT(*) FROM events");
  }

  private static long minEventId(Path profile) throws SQLException {
    return query(profile, "SELECT COALESCE(MIN(event_id), 0) FROM events");
  }

  private static long maxEventId(Path profile) throws SQLException {
    return query(profile, "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'events'");
  }

  private static long query(Path profile, String sql) throws SQLException {
    try (Connection db =
            DriverManager.getConnection("jdbc:sqlite:" + profile.resolve(ProfileStore.FILE_NAME));
        ResultSet rs = db.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void waitFor(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void acquire(Semaphore permits) throws IOException {
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("stopped", e);
    }
  }
}
