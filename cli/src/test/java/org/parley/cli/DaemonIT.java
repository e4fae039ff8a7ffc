package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.cli.daemon.Daemon;
import org.parley.client.ClientConfig;
import org.parley.client.ClientException;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * The daemon (README.md, daemon) in this JVM, with a real relay behind it: JSON-RPC on each transport,
 * its checks, the event stream, and every command through it printing what it prints standalone.
 */
@WithTestServer
class DaemonIT {
  static final String ALICE = "+15550001201";
  static final String BOB = "+15550001202";
  static final String CAROL = "+15550001203";

  @TempDir Path dir;
  TestServer server;
  Daemon daemon;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
  }

  @AfterEach
  void stopDaemon() {
    if (daemon != null) {
      daemon.close();
    }
  }

  Cli.Run parley(String profile, String... args) {
    return new Cli(dir).parley(profile, args);
  }

  Cli.Run ok(String profile, String... args) {
    Cli.Run run = parley(profile, args);
    assertThat(run.code()).as("parley %s: %s", String.join(" ", args), run.err()).isZero();
    return run;
  }

  void registerAs(String profile, String phone) {
    ok(profile, "register", "--server", server.url(), "--phone", phone);
    ok(profile, "verify", server.sms().codeFor(phone));
  }

  Daemon startDaemon(String profile, boolean network) throws Exception {
    Path home = dir.resolve(profile);
    return startDaemon(List.of(home), false, home, network, null);
  }

  Daemon startDaemon(List<Path> profiles, boolean multi, Path home, boolean network, java.net.URI webhook) {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    return Daemon.start(
        new Daemon.Options(
            profiles, multi, home, null, network ? loopback : null, network ? loopback : null, webhook,
            Duration.ofDays(30), ClientConfig.defaults()));
  }

  @Test
  void aConsumerComingBackForEventsNoLongerKeptIsToldSoAndGetsWhatIsKept() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    ok("alice", "send", "--to", BOB, "long ago");
    ok("bob", "receive", "--timeout", "1s");
    // A daemon that keeps events no time at all forgets everything logged before it started.
    Path home = dir.resolve("bob");
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    daemon =
        Daemon.start(
            new Daemon.Options(List.of(home), false, home, null, null, loopback, null, Duration.ZERO, ClientConfig.defaults()));
    Path socket = daemon.controlSockets().getFirst();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      try (RpcClient probe = RpcClient.unix(socket)) {
        JsonNode subscribed = probe.call(1, "subscribeReceive", "{\"since\":0}").path("result");
        assertThat(subscribed.path("forgotten").asBoolean()).as(subscribed.toString()).isTrue();
      }
    });
    try (RpcClient current = RpcClient.unix(socket)) {
      assertThat(current.call(1, "subscribeReceive", null).path("result").path("forgotten").asBoolean())
          .as("from now: nothing missed").isFalse();
    }

    InetSocketAddress http = daemon.http().address();
    List<String[]> stream =
        RawHttp.events(http, "/api/v1/events?since=0", headers(http, daemon.token()), events -> !events.isEmpty());
    assertThat(stream.getFirst()[0]).as("no id: Last-Event-ID stays").isNull();
    assertThat(RpcClient.JSON.readTree(stream.getFirst()[1]).path("since").asLong()).isZero();
    ok("alice", "send", "--to", BOB, "now");
    List<String[]> resumed =
        RawHttp.events(http, "/api/v1/events?since=0", headers(http, daemon.token()),
            events -> events.stream().anyMatch(e -> e[1].contains("\"body\":\"now\"")));
    assertThat(bodies(resumed.stream().map(e -> e[1]).toList())).containsExactly("now");
  }

  static Map<String, String> headers(InetSocketAddress http, String token) {
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put("Host", "127.0.0.1:" + http.getPort());
    if (token != null) {
      headers.put("Authorization", "Bearer " + token);
    }
    return headers;
  }

  @Test
  void jsonRpcOnEveryTransportAnswersBadInputWithErrorsAndKeepsTheConnection() throws Exception {
    registerAs("bob", BOB);
    daemon = startDaemon("bob", true);
    Path socket = daemon.controlSockets().getFirst();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");

    try (RpcClient unix = RpcClient.unix(socket)) {
      assertThat(unix.call(1, "version", null).path("result").path("version").asText()).isNotBlank();
      assertThat(unix.send("this is not json").path("error").path("code").asInt()).isEqualTo(-32700);
      assertThat(unix.send("{\"jsonrpc\":\"2.0\",\"id\":2}").path("error").path("code").asInt()).isEqualTo(-32600);
      assertThat(unix.call(3, "noSuchMethod", null).path("error").path("code").asInt()).isEqualTo(-32601);
      JsonNode unknownParam = unix.call(4, "listDevices", "{\"bogus\":1}");
      assertThat(unknownParam.path("error").path("code").asInt()).isEqualTo(-32602);
      assertThat(unknownParam.path("error").path("message").asText()).contains("bogus");
      JsonNode missing = unix.call(5, "send", "{\"message\":\"to whom?\"}");
      assertThat(missing.path("error").path("code").asInt()).isEqualTo(-32602);
      JsonNode refused = unix.call(6, "send", "{\"recipient\":\"+15559999999\",\"message\":\"hi\"}");
      assertThat(refused.path("error").path("code").asInt()).isEqualTo(-1);
      assertThat(refused.path("error").path("data").path("type").asText()).isNotBlank();
      assertThat(unix.send("[]").path("error").path("code").asInt()).isEqualTo(-32600);

      JsonNode batch =
          unix.send(
              "[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"version\"},"
                  + "{\"jsonrpc\":\"2.0\",\"method\":\"version\"},"
                  + "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"listDevices\"},"
                  + "42]");
      assertThat(batch.isArray()).isTrue();
      assertThat(batch).hasSize(3);
      assertThat(batch.get(0).path("id").asInt()).isEqualTo(7);
      assertThat(batch.get(1).path("result").path("devices").get(0).path("id").asInt()).isEqualTo(1);
      assertThat(batch.get(2).path("error").path("code").asInt()).isEqualTo(-32600);
      assertThat(unix.call(9, "version", null).has("result")).as("the connection lives on").isTrue();
    }

    try (RpcClient tcp = RpcClient.tcp(daemon.tcpAddress())) {
      assertThat(tcp.call(1, "version", null).path("error").path("code").asInt()).isEqualTo(-7);
      assertThat(tcp.call(2, "auth", "{\"token\":\"guess\"}").path("error").path("code").asInt()).isEqualTo(-7);
      assertThat(tcp.call(3, "listDevices", null).path("error").path("code").asInt()).isEqualTo(-7);
      assertThat(tcp.call(4, "auth", "{\"token\":\"" + daemon.token() + "\"}").has("result")).isTrue();
      assertThat(tcp.call(5, "listDevices", null).path("result").path("devices").get(0).path("id").asInt())
          .isEqualTo(1);
      assertThat(tcp.send("{\"jsonrpc\":").path("error").path("code").asInt()).isEqualTo(-32700);
      assertThat(tcp.send("{\"jsonrpc\":\"1.0\",\"id\":6,\"method\":\"version\"}").path("error").path("code").asInt())
          .isEqualTo(-32600);
      JsonNode tcpBatch =
          tcp.send("[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"version\"},\"x\",{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"nope\"}]");
      assertThat(tcpBatch).hasSize(3);
      assertThat(tcpBatch.get(0).has("result")).isTrue();
      assertThat(tcpBatch.get(1).path("error").path("code").asInt()).isEqualTo(-32600);
      assertThat(tcpBatch.get(2).path("error").path("code").asInt()).isEqualTo(-32601);
      assertThat(tcp.send("x".repeat((1 << 20) + 10)).path("error").path("code").asInt()).as("an over-long line").isEqualTo(-32600);
      assertThat(tcp.call(9, "version", null).has("result")).as("the connection lives on").isTrue();
    }

    InetSocketAddress http = daemon.http().address();
    String batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"version\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"listDevices\"}]";
    assertThat(RawHttp.request(http, "POST", "/api/v1/rpc", headers(http, null), batch).status()).isEqualTo(401);
    assertThat(RawHttp.request(http, "POST", "/api/v1/rpc", headers(http, "wrong"), batch).status()).isEqualTo(401);
    Map<String, String> rebound = headers(http, daemon.token());
    rebound.put("Host", "attacker.example:" + http.getPort());
    assertThat(RawHttp.request(http, "POST", "/api/v1/rpc", rebound, batch).status()).as("DNS rebinding").isEqualTo(403);
    assertThat(RawHttp.request(http, "GET", "/api/v1/events", rebound, null).status()).isEqualTo(403);

    RawHttp.Response answered = RawHttp.request(http, "POST", "/api/v1/rpc", headers(http, daemon.token()), batch);
    assertThat(answered.status()).isEqualTo(200);
    JsonNode answers = RpcClient.JSON.readTree(answered.body());
    assertThat(answers).hasSize(2);
    assertThat(answers.get(1).path("result").path("devices").get(0).path("primary").asBoolean()).isTrue();
    assertThat(
            RawHttp.request(http, "POST", "/api/v1/rpc", headers(http, daemon.token()), "{\"jsonrpc\":\"2.0\",\"method\":\"version\"}")
                .status())
        .as("a notification gets no answer")
        .isEqualTo(204);
    RawHttp.Response garbage = RawHttp.request(http, "POST", "/api/v1/rpc", headers(http, daemon.token()), "{");
    assertThat(RpcClient.JSON.readTree(garbage.body()).path("error").path("code").asInt()).isEqualTo(-32700);
    RawHttp.Response check = RawHttp.request(http, "GET", "/api/v1/check", headers(http, null), null);
    assertThat(check.status()).isEqualTo(200);
    assertThat(check.body()).contains("\"status\":\"ok\"");
  }

  /**
   * A token for TCP or HTTP is a key to the messenger, not to the user's files: {@code send}'s
   * attachments and {@code getAttachment}'s {@code out} name files on this machine, so only the
   * profile's control socket (its owner) may give them; elsewhere they are refused before any file is
   * read or written.
   */
  @Test
  void filePathsAreTakenOnlyOnTheProfilesControlSocketNotOverTcpOrHttp() throws Exception {
    registerAs("bob", BOB);
    daemon = startDaemon("bob", true);
    Path secret = Files.writeString(dir.resolve("id_ed25519"), "not for a token holder");
    Path written = dir.resolve("written-by-a-token-holder");
    String send = "{\"recipient\":\"+15559999999\",\"message\":\"hi\",\"attachments\":[\"" + secret + "\"]}";
    String get = "{\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"out\":\"" + written + "\"}";
    List<String> blobsBefore = server.blobFiles();

    try (RpcClient tcp = RpcClient.tcp(daemon.tcpAddress())) {
      tcp.call(1, "auth", "{\"token\":\"" + daemon.token() + "\"}");
      assertRefusedAsLocalFiles(tcp.call(2, "send", send), "'attachments'");
      assertRefusedAsLocalFiles(tcp.call(3, "getAttachment", get), "'out'");
    }
    InetSocketAddress http = daemon.http().address();
    for (String[] call : new String[][] {{"send", send, "'attachments'"}, {"getAttachment", get, "'out'"}}) {
      String request = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + call[0] + "\",\"params\":" + call[1] + "}";
      RawHttp.Response answer = RawHttp.request(http, "POST", "/api/v1/rpc", headers(http, daemon.token()), request);
      assertRefusedAsLocalFiles(RpcClient.JSON.readTree(answer.body()), call[2]);
    }
    assertThat(written).as("nothing written for a token holder").doesNotExist();
    assertThat(server.blobFiles()).as("nothing uploaded for a token holder").isEqualTo(blobsBefore);

    // The owner on the control socket passes this check (and meets the next: no such contact, no such file).
    try (RpcClient unix = RpcClient.unix(daemon.controlSockets().getFirst())) {
      JsonNode sent = unix.call(1, "send", send).path("error");
      assertThat(sent.path("code").asInt()).isEqualTo(-1);
      assertThat(sent.path("data").path("type").asText()).isNotEqualTo("LOCAL_FILES_REFUSED");
      JsonNode got = unix.call(2, "getAttachment", get).path("error");
      assertThat(got.path("data").path("type").asText()).isNotEqualTo("LOCAL_FILES_REFUSED");
    }
  }

  /**
   * The extra socket of a daemon holding several profiles ({@code --socket}) serves every profile
   * but is no profile's own: its holder (a service the socket was handed to, a user let in by its
   * mode) may message for the accounts, never name files on this machine. The attacker asks it to
   * send a private key as an attachment to a real contact, and to write an attachment over a path of
   * its choosing; both are refused, nothing is uploaded or written, while the same calls on the
   * profile's own control socket pass this check.
   */
  @Test
  void theMultiProfileDaemonsExtraSocketNamesNoFilesOnThisMachine() throws Exception {
    Path profiles = dir.resolve("profiles");
    registerAliceAndBobIn(profiles);
    Path extra = dir.resolve("extra.sock");
    daemon =
        Daemon.start(
            new Daemon.Options(
                List.of(profiles.resolve("alice"), profiles.resolve("bob")), true, profiles, extra, null, null, null,
                Duration.ofDays(30), ClientConfig.defaults()));
    Path secret = Files.writeString(dir.resolve("id_ed25519"), "not for the extra socket");
    Path written = dir.resolve("written-through-the-extra-socket");
    String send =
        "{\"account\":\"" + ALICE + "\",\"recipient\":\"" + BOB + "\",\"message\":\"hi\",\"attachments\":[\""
            + secret + "\"]}";
    String get = "{\"account\":\"" + ALICE + "\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"out\":\"" + written + "\"}";
    List<String> blobsBefore = server.blobFiles();

    try (RpcClient shared = RpcClient.unix(extra)) {
      assertRefusedAsLocalFiles(shared.call(1, "send", send), "'attachments'");
      assertRefusedAsLocalFiles(shared.call(2, "getAttachment", get), "'out'");
      // The socket itself works: the same message without a file goes out.
      String plain = "{\"account\":\"" + ALICE + "\",\"recipient\":\"" + BOB + "\",\"message\":\"no file\"}";
      assertThat(shared.call(3, "send", plain).path("result").path("status").asText()).isEqualTo("sent");
    }
    assertThat(written).as("nothing written for the extra socket").doesNotExist();
    assertThat(server.blobFiles()).as("nothing uploaded for the extra socket").isEqualTo(blobsBefore);

    // Alice's own control socket passes this check: the file goes out to Bob.
    Path alices = daemon.controlSockets().getFirst();
    try (RpcClient own = RpcClient.unix(alices)) {
      JsonNode sent = own.call(1, "send", send);
      assertThat(sent.path("result").path("status").asText()).as("%s", sent).isEqualTo("sent");
    }
    assertThat(server.blobFiles()).hasSizeGreaterThan(blobsBefore.size());
  }

  /**
   * A login to the web page is the profile's owner at the keyboard: a holder of the API token (TCP,
   * HTTP) must not get one, or the token would open the page and everything it shows.
   */
  @Test
  void aPageLoginIsGivenOnlyOnTheProfilesControlSocket() throws Exception {
    registerAs("bob", BOB);
    daemon = startDaemon("bob", true);
    try (RpcClient tcp = RpcClient.tcp(daemon.tcpAddress())) {
      tcp.call(1, "auth", "{\"token\":\"" + daemon.token() + "\"}");
      JsonNode answer = tcp.call(2, "webLogin", "{}");
      assertThat(answer.has("result")).as("%s", answer).isFalse();
      assertThat(answer.path("error").path("message").asText()).contains("only on the profile's own control socket");
    }
    InetSocketAddress http = daemon.http().address();
    RawHttp.Response overHttp = RawHttp.request(http, "POST", "/api/v1/rpc", headers(http, daemon.token()),
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"webLogin\",\"params\":{}}");
    JsonNode answer = RpcClient.JSON.readTree(overHttp.body());
    assertThat(answer.has("result")).as("%s", answer).isFalse();
    assertThat(answer.has("error")).as("%s", answer).isTrue();

    // The owner passes this check and meets the next: this daemon serves no page.
    try (RpcClient unix = RpcClient.unix(daemon.controlSockets().getFirst())) {
      String refusal = unix.call(1, "webLogin", "{}").path("error").path("message").asText();
      assertThat(refusal).doesNotContain("only on the profile's own control socket").contains("serves no page");
    }
  }

  /** Alice's and Bob's profiles side by side in one folder, as a multi-profile daemon holds them. */
  private Cli registerAliceAndBobIn(Path profiles) {
    Cli many = new Cli(profiles);
    for (String[] account : new String[][] {{"alice", ALICE}, {"bob", BOB}}) {
      assertThat(many.parley(account[0], "register", "--server", server.url(), "--phone", account[1]).code()).isZero();
      assertThat(many.parley(account[0], "verify", server.sms().codeFor(account[1])).code()).isZero();
    }
    return many;
  }

  private static void assertRefusedAsLocalFiles(JsonNode answer, String parameter) {
    JsonNode error = answer.path("error");
    assertThat(error.path("code").asInt()).as("%s", answer).isEqualTo(-1);
    assertThat(error.path("data").path("type").asText()).isEqualTo("LOCAL_FILES_REFUSED");
    assertThat(error.path("message").asText()).contains(parameter).contains("control socket");
  }

  @Test
  void aRefusalIsAnApplicationErrorWithItsReasonAsData() throws Exception {
    daemon = startDaemon("nobody", false);
    try (RpcClient unix = RpcClient.unix(daemon.controlSockets().getFirst())) {
      JsonNode error = unix.call(1, "send", "{\"recipient\":\"" + BOB + "\",\"message\":\"hi\"}").path("error");
      assertThat(error.path("code").asInt()).isEqualTo(-2);
      assertThat(error.path("data").path("type").asText()).isEqualTo("NOT_REGISTERED");
      assertThat(error.path("message").asText()).contains("parley register");
      assertThat(unix.call(2, "listDevices", null).path("error").path("code").asInt()).isEqualTo(-2);
    }
    // The command line through the daemon says what it says standalone, and exits the same way.
    Cli.Run through = parley("nobody", "devices");
    assertThat(through.code()).isEqualTo(1);
    assertThat(through.err()).contains("this profile is not registered; run 'parley register'");
  }

  @Test
  void aSecondDaemonOnTheSameProfileIsRefused() throws Exception {
    registerAs("bob", BOB);
    daemon = startDaemon("bob", false);
    assertThatThrownBy(() -> startDaemon("bob", false))
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("a daemon already holds the profile");
    // And the command says so too (it exits instead of serving).
    Cli.Run second = parley("bob", "daemon");
    assertThat(second.code()).isEqualTo(1);
    assertThat(second.err()).contains("a daemon already holds the profile");
  }

  @Test
  void subscribersGetLiveEventsAndAStreamResumedWithLastEventIdGetsEveryEventOnce() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    daemon = startDaemon("bob", true);
    InetSocketAddress http = daemon.http().address();

    try (RpcClient subscriber = RpcClient.unix(daemon.controlSockets().getFirst())) {
      JsonNode subscribed = subscriber.call(1, "subscribeReceive", null);
      assertThat(subscribed.path("result").path("subscription").asInt()).isPositive();
      ok("alice", "send", "--to", BOB, "one");
      JsonNode first = subscriber.awaitEvents(1).getFirst();
      assertThat(first.path("type").asText()).isEqualTo("message");
      assertThat(first.path("body").asText()).isEqualTo("one");
      assertThat(first.path("eventId").asLong()).isPositive();
      assertThat(subscriber.notifications.getFirst().path("method").asText()).isEqualTo("receive");

      // A consumer on SSE reads from the start, hangs up after the first message...
      List<String[]> before =
          RawHttp.events(http, "/api/v1/events?since=0", headers(http, daemon.token()),
              events -> events.stream().anyMatch(e -> e[1].contains("\"body\":\"one\"")));
      String lastSeen = before.getLast()[0];
      // ...is away while two more arrive...
      ok("alice", "send", "--to", BOB, "two");
      ok("alice", "send", "--to", BOB, "three");
      subscriber.awaitEvents(3);
      // ...and comes back with Last-Event-ID: it gets exactly what it missed, once, in order.
      Map<String, String> resume = headers(http, daemon.token());
      resume.put("Last-Event-ID", lastSeen);
      List<String[]> after =
          RawHttp.events(http, "/api/v1/events", resume,
              events -> events.stream().anyMatch(e -> e[1].contains("\"body\":\"three\"")));
      List<String> bodies = after.stream().map(e -> body(e[1])).filter(b -> b != null).toList();
      assertThat(bodies).containsExactly("two", "three");
      List<Long> ids = after.stream().map(e -> Long.parseLong(e[0])).toList();
      assertThat(ids).isSorted().doesNotHaveDuplicates().allMatch(id -> id > Long.parseLong(lastSeen));

      assertThat(subscriber.call(2, "unsubscribeReceive", "{\"subscription\":" + subscribed.path("result").path("subscription").asInt() + "}")
              .path("result").asBoolean())
          .isTrue();
    }
  }

  @Test
  void whatIsSentWhileTheServerIsAwayIsKeptAndGoesOutWhenTheDaemonIsConnectedAgain() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    ok("alice", "send", "--to", BOB, "before");
    daemon = startDaemon("alice", true);
    awaitConnected(daemon);
    int port = server.port();
    server.close();

    Cli.Run kept = parley("alice", "send", "--to", BOB, "while the server is away", "--json");
    assertThat(kept.code()).as(kept.err()).isEqualTo(75);
    assertThat(kept.err()).contains("not sent yet");
    assertThat(kept.json().getFirst().get("status").asText()).isEqualTo("pending");
    assertThat(ok("alice", "history", "--with", BOB).out()).contains("while the server is away");

    server.restart(port);
    // The daemon connects again by itself (backoff) and sends what it kept.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(ok("alice", "history", "--with", BOB, "--json").json())
            .extracting(m -> m.get("status").asText())
            .containsOnly("sent"));
    assertThat(ok("bob", "receive", "--timeout", "1s", "--json").json())
        .extracting(m -> m.get("body").asText())
        .containsExactly("before", "while the server is away");
  }

  @Test
  void aCompanionLinksThroughTheDaemonHoldingItsProfileAndTheDaemonImportsTheHistory() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    ok("bob", "send", "--to", ALICE, "old news");
    ok("alice", "receive", "--timeout", "1s");
    daemon = startDaemon("laptop", false);
    Path png = dir.resolve("qr.png");
    java.util.concurrent.CompletableFuture<Cli.Run> linking =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> parley("laptop", "link", "--server", server.url(), "--name", "laptop", "--qr-png", png.toString()),
            task -> Thread.ofPlatform().daemon().start(task));
    await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(png) || linking.isDone());
    ok("alice", "add-device", "--qr-png", png.toString());
    Cli.Run linked = linking.get(120, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(linked.code()).as(linked.err()).isZero();
    assertThat(linked.out()).contains("parley://link?v=1&addr=").contains("linked as device 2").contains("history imported");

    assertThat(ok("laptop", "history", "--with", BOB).out()).contains("old news");
    ok("bob", "send", "--to", ALICE, "fresh");
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(ok("laptop", "history", "--with", BOB).out()).as("the daemon receives for the new companion")
            .contains("fresh"));
  }

  /** Waits until the daemon's receive loop is connected (GET /api/v1/check). */
  static void awaitConnected(Daemon daemon) {
    InetSocketAddress http = daemon.http().address();
    await().atMost(Duration.ofSeconds(60)).until(() ->
        RawHttp.request(http, "GET", "/api/v1/check", headers(http, null), null).body().contains("\"connected\""));
  }

  @Test
  void theWebhookGetsEveryEventInOrderAndEachIsTriedAgainUntilAccepted() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    List<String> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpServer hook =
        com.sun.net.httpserver.HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    hook.createContext("/hook", exchange -> {
      String event = new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      // Every other attempt is refused: each event needs a retry before it is taken.
      int status = refusals.getAndIncrement() % 2 == 0 ? 503 : 200;
      if (status == 200) {
        accepted.add(event);
      }
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    hook.start();
    try {
      Path home = dir.resolve("bob");
      daemon =
          startDaemon(List.of(home), false, home, false,
              java.net.URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/hook"));
      for (String body : List.of("first", "second", "third")) {
        ok("alice", "send", "--to", BOB, body);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> bodies(accepted).size() >= 3);
      assertThat(bodies(accepted)).containsExactly("first", "second", "third");
      List<Long> ids = new java.util.ArrayList<>();
      for (String event : accepted) {
        ids.add(RpcClient.JSON.readTree(event).path("eventId").asLong());
      }
      assertThat(ids).isSorted().doesNotHaveDuplicates();
      assertThat(refusals.get()).isGreaterThanOrEqualTo(2 * accepted.size() - 1);
    } finally {
      hook.stop(0);
    }
  }

  private static List<String> bodies(List<String> events) {
    return events.stream().map(DaemonIT::body).filter(b -> b != null).toList();
  }

  @Test
  void oneDaemonHoldsSeveralProfilesAndEachCallNamesItsAccount() throws Exception {
    Path profiles = dir.resolve("profiles");
    Cli many = registerAliceAndBobIn(profiles);
    daemon =
        startDaemon(List.of(profiles.resolve("alice"), profiles.resolve("bob")), true, profiles, true, null);
    try (RpcClient tcp = RpcClient.tcp(daemon.tcpAddress())) {
      tcp.call(1, "auth", "{\"token\":\"" + daemon.token() + "\"}");
      assertThat(tcp.call(2, "listDevices", null).path("error").path("message").asText()).contains("account");
      assertThat(tcp.call(3, "send", "{\"account\":\"" + ALICE + "\",\"recipient\":\"" + BOB + "\",\"message\":\"hi\"}")
              .path("result").path("status").asText())
          .isEqualTo("sent");
      JsonNode subscribed = tcp.call(4, "subscribeReceive", "{\"account\":\"bob\",\"since\":0}");
      assertThat(subscribed.has("result")).isTrue();
      JsonNode event = tcp.awaitEvents(1).stream().filter(e -> e.path("type").asText().equals("message")).findFirst().orElseThrow();
      assertThat(event.path("body").asText()).isEqualTo("hi");
      assertThat(tcp.notifications.getFirst().path("params").path("account").asText()).isEqualTo(BOB);
    }
    // The commands on each profile go through the one daemon.
    assertThat(many.parley("bob", "history", "--with", ALICE).out()).contains("hi");
  }

  /** Numbers that change between runs (ids, times) out; counts, device ids and words stay. */
  static String normalized(String output) {
    return output
        .replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID")
        .replaceAll("\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z?", "TIME")
        .replaceAll("\\d{6,}", "N")
        .replaceAll("\\+1555000120\\d", "+PHONE")
        .replaceAll("\"eventId\":\\d+", "\"eventId\":N");
  }

  @Test
  void everyCommandPrintsTheSameThroughTheDaemonAsStandalone() throws Exception {
    registerAs("alice", ALICE);
    registerAs("bob", BOB);
    String group = ok("alice", "groups", "create", "climbing", "--member", BOB).out().strip();
    ok("alice", "send", "--to", BOB, "hello bob");
    ok("alice", "send", "--group", group, "saturday?");
    ok("bob", "receive", "--timeout", "1s");
    ok("bob", "read", "--with", ALICE);
    ok("bob", "read", "--group", group);
    ok("bob", "contacts", "name", ALICE, "Alice Archer");
    ok("bob", "labels", "create", "vip", "--colour", "red");
    ok("bob", "labels", "add", "vip", ALICE);
    ok("bob", "assign", ALICE, "--to", "1");
    ok("bob", "notes", "add", ALICE, "climbs on Saturdays");
    ok("bob", "chats", "pin", ALICE);

    // What only reads, then what changes the profile (whose output does not depend on the reads).
    List<List<String>> reads =
        List.of(
            List.of("devices"),
            List.of("devices", "--json"),
            List.of("history", "--with", ALICE),
            List.of("history", "--json"),
            List.of("history", "--group", group, "--json"),
            List.of("safety-number", ALICE),
            List.of("safety-number", ALICE, "--json"),
            List.of("groups", "list"),
            List.of("groups", "list", "--json"),
            List.of("contacts", "list"),
            List.of("contacts", "list", "--json"),
            List.of("chats", "list"),
            List.of("chats", "list", "--label", "vip", "--json"),
            List.of("chats", "list", "--archived"),
            List.of("labels", "list"),
            List.of("labels", "list", "--json"),
            List.of("notes", "list", ALICE),
            List.of("notes", "list", ALICE, "--json"),
            List.of("settings"));
    List<List<String>> changes =
        List.of(
            List.of("read", "--with", ALICE),
            List.of("read", "--group", group, "--json"),
            List.of("send", "--to", ALICE, "from bob"),
            List.of("send", "--to", ALICE, "from bob", "--json"),
            List.of("send", "--group", group, "to the group", "--json"),
            List.of("send", "--to", "+15559999999", "nobody there"),
            List.of("groups", "add", "no-such-group", ALICE),
            List.of("history", "--limit", "0"),
            List.of("unlink", "5"),
            List.of("add-device", "--uri", "parley://link?v=1&addr=x"),
            List.of("contacts", "name", ALICE, "Alice Archer"),
            List.of("chats", "pin", ALICE),
            List.of("labels", "add", "vip", ALICE, "--json"),
            List.of("labels", "add", "nonsense", ALICE),
            List.of("assign", ALICE, "--to", "1"),
            List.of("notes", "add", ALICE, "x".repeat(5000)),
            List.of("trust", "+15559999999"));
    compareThroughTheDaemon("bob", reads);
    compareThroughTheDaemon("bob", changes);

    ok("alice", "send", "--to", BOB, "later");
    Cli.Run receivedAlone = parley("bob", "receive", "--timeout", "1s", "--json");
    daemon = startDaemon("bob", false);
    ok("alice", "send", "--to", BOB, "later");
    Cli.Run receivedThrough = parley("bob", "receive", "--timeout", "3s", "--json");
    assertThat(receivedThrough.code()).isEqualTo(receivedAlone.code());
    assertThat(normalized(receivedThrough.out())).isEqualTo(normalized(receivedAlone.out())).contains("\"eventId\"");

    // A daemon on a fresh profile: register and verify go through it, and it starts receiving.
    daemon.close();
    daemon = startDaemon("carol", false);
    ok("carol", "register", "--server", server.url(), "--phone", CAROL);
    Cli.Run verified = ok("carol", "verify", server.sms().codeFor(CAROL));
    assertThat(verified.out()).contains("registered " + CAROL);
    ok("alice", "send", "--to", CAROL, "welcome carol");
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(ok("carol", "history", "--with", ALICE).out()).contains("welcome carol"));
    assertThat(ok("carol", "receive", "--timeout", "1s").out()).contains("welcome carol");
    assertThat(ok("carol", "receive", "--timeout", "1s").out()).as("printed once").doesNotContain("welcome carol");
  }

  /** Runs each command standalone, then each through a daemon started for the purpose: the same output. */
  private void compareThroughTheDaemon(String profile, List<List<String>> commands) throws Exception {
    java.util.Map<List<String>, Cli.Run> standalone = new java.util.LinkedHashMap<>();
    for (List<String> command : commands) {
      standalone.put(command, parley(profile, command.toArray(String[]::new)));
    }
    try (Daemon holding = startDaemon(profile, false)) {
      for (List<String> command : commands) {
        Cli.Run alone = standalone.get(command);
        Cli.Run through = parley(profile, command.toArray(String[]::new));
        String what = String.join(" ", command);
        assertThat(through.code()).as(what + ": " + through.err()).isEqualTo(alone.code());
        assertThat(normalized(through.out())).as(what).isEqualTo(normalized(alone.out()));
        assertThat(normalized(through.err())).as(what).isEqualTo(normalized(alone.err()));
      }
    }
  }

  private static String body(String data) {
    try {
      JsonNode event = RpcClient.JSON.readTree(data);
      return event.path("type").asText().equals("message") ? event.path("body").asText() : null;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
