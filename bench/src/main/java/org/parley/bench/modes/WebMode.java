package org.parley.bench.modes;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.HdrHistogram.Histogram;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.parley.bench.report.Result;
import org.parley.cli.daemon.Daemon;
import org.parley.cli.web.WebCompanion;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.server.testing.TestServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The web companion (issue 13) in Debian's headless chromium: page load to interactive (navigation
 * start to the chat list drawn, from the page's performance timeline), opening a chat of 10,000
 * messages, fetching an older page on scroll, and the time from a message's arrival at the daemon
 * (its event committed to the profile's log) to its row in the page's DOM, both read on this
 * machine's wall clock.
 */
@Command(
    name = "web",
    mixinStandardHelpOptions = true,
    description = {
      "The web companion in headless chromium: page load to interactive, a 10,000-message chat opened and",
      "scrolled, and daemon-arrival-to-page latency of live messages."
    })
public final class WebMode implements Callable<Integer> {
  private static final String ALICE = "+15554100001";
  private static final String BOB = "+15554100002";

  @Option(names = "--messages", defaultValue = "10000", description = "Messages in the chat (default ${DEFAULT-VALUE}).")
  int messages;

  @Option(names = "--live", defaultValue = "50", description = "Live messages timed (default ${DEFAULT-VALUE}).")
  int live;

  @Option(names = "--loads", defaultValue = "5", description = "Page loads timed (default ${DEFAULT-VALUE}).")
  int loads;

  @Option(names = "--chromium", defaultValue = "/usr/bin/chromium", description = "The browser.")
  Path chromium;

  @Option(names = "--chromedriver", defaultValue = "/usr/bin/chromedriver", description = "Its driver.")
  Path chromedriver;

  @Option(names = "--out", description = "Also append the JSON result line to this file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Path scratch = Files.createTempDirectory("parley-web-bench");
    Result result = new Result("web");
    List<String> report = new ArrayList<>();
    try (TestServer server = TestServer.start(scratch.resolve("server"), Clock.systemUTC(), b -> b)) {
      Path aliceProfile = scratch.resolve("alice");
      register(server, aliceProfile, ALICE);
      try (Device bob = register(server, scratch.resolve("bob"), BOB)) {
        bob.sendText(ALICE, "hello");
        try (Device alice = Device.open(aliceProfile, ClientConfig.defaults())) {
          alice.receive(Duration.ofSeconds(2), e -> {});
        }
        fill(aliceProfile, messages);

        Map<String, Instant> arrived = new ConcurrentHashMap<>();
        try (Daemon daemon = Daemon.start(new Daemon.Options(
                List.of(aliceProfile), false, aliceProfile, null, null,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null, Duration.ofDays(1),
                ClientConfig.defaults()))) {
          WebCompanion web = WebCompanion.mount(daemon, null, Clock.systemUTC());
          daemon.device().onEvent(event -> {
            if (event instanceof org.parley.client.events.MessageEvent m && m.body().startsWith("live ")) {
              arrived.put(m.body(), Instant.now());
            }
          });
          String base = "http://127.0.0.1:" + daemon.http().address().getPort() + "/";
          ChromeDriver browser = browser();
          try {
            Histogram interactive = new Histogram(3);
            for (int i = 0; i < loads; i++) {
              browser.get(base + "#token=" + web.loginToken());
              double ms = waitForMark(browser, "parley-interactive");
              interactive.recordValue(Math.max(1, Math.round(ms * 1000)));
              browser.get("about:blank");
            }
            browser.get(base + "#token=" + web.loginToken());
            waitForMark(browser, "parley-interactive");
            result.latency("page_interactive_ms", interactive);
            report.add(String.format(Locale.ROOT, "page load to interactive (chat list drawn): median %.0f ms, max %.0f ms (%d loads)",
                interactive.getValueAtPercentile(50) / 1000.0, interactive.getMaxValue() / 1000.0, loads));

            long t0 = System.nanoTime();
            browser.findElement(By.cssSelector("#chat-list li[data-chat='" + BOB + "'] button")).click();
            new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(5)).until(d -> d.findElements(By.cssSelector("#messages .msg")).size() >= 60);
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            result.put("open_chat_ms", openMs);
            report.add(String.format(Locale.ROOT, "open a chat of %d messages (last page drawn, seen from Selenium): %d ms", messages, openMs));

            Histogram older = new Histogram(3);
            JavascriptExecutor js = browser;
            for (int page = 0; page < 10; page++) {
              long count = ((Number) js.executeScript("return document.querySelectorAll('#messages .msg').length")).longValue();
              long p0 = System.nanoTime();
              js.executeScript("document.getElementById('messages').scrollTop = 0");
              new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(5)).until(d ->
                  ((Number) js.executeScript("return document.querySelectorAll('#messages .msg').length")).longValue() > count);
              older.recordValue(Math.max(1, (System.nanoTime() - p0) / 1_000));
            }
            result.latency("older_page_ms", older);
            report.add(String.format(Locale.ROOT, "scroll to the top: the next older page drawn (seen from Selenium): median %.0f ms, max %.0f ms (10 pages)",
                older.getValueAtPercentile(50) / 1000.0, older.getMaxValue() / 1000.0));
            js.executeScript("const m = document.getElementById('messages'); m.scrollTop = m.scrollHeight;");

            // Each new row's wall-clock time, recorded in the page as it is added.
            js.executeScript(
                "window.__shown = {}; new MutationObserver((records) => { const t = performance.timeOrigin + performance.now();"
                    + " for (const r of records) for (const n of r.addedNodes) if (n.classList && n.classList.contains('msg'))"
                    + " window.__shown[n.querySelector('.body').textContent] = t; })"
                    + ".observe(document.getElementById('messages'), { childList: true });");
            Histogram latency = new Histogram(3);
            for (int i = 0; i < live + 5; i++) {
              String body = "live " + i;
              bob.sendText(ALICE, body);
              String text = body;
              Number shown = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(5))
                  .until(d -> (Number) js.executeScript("return window.__shown[arguments[0]]", text));
              Instant at = arrived.get(body);
              if (i >= 5 && at != null) {
                double micros = shown.doubleValue() * 1000 - (at.getEpochSecond() * 1_000_000.0 + at.getNano() / 1000.0);
                latency.recordValue(Math.max(1, Math.round(micros)));
              }
            }
            result.latency("arrival_to_page_ms", latency);
            report.add(String.format(Locale.ROOT,
                "daemon arrival (event committed) to the row in the page: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d messages, %d in the DOM)",
                latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
                latency.getMaxValue() / 1000.0, latency.getTotalCount(),
                ((Number) js.executeScript("return document.querySelectorAll('#messages .msg').length")).longValue()));
          } finally {
            browser.quit();
          }
        }
      }
    }
    String load = Files.readString(Path.of("/proc/loadavg")).strip();
    report.addFirst(String.format(Locale.ROOT, "web: %d cores, load average %s, %d messages in the chat",
        Runtime.getRuntime().availableProcessors(), load, messages));
    report.forEach(System.out::println);
    result.put("messages", messages);
    result.put("load_average", load);
    result.print(System.out, out);
    return 0;
  }

  private static Device register(TestServer server, Path profile, String phone) {
    Device device = Device.open(profile, ClientConfig.defaults());
    device.requestCode(server.url(), phone, "bench");
    device.verify(server.sms().codeFor(phone));
    return device;
  }

  /** Writes {@code count} messages from BOB into alice's chat with him, a minute apart, in one transaction. */
  private static void fill(Path profile, int count) {
    org.parley.client.events.MessageEvent first;
    UUID me;
    try (Device alice = Device.open(profile, ClientConfig.defaults())) {
      first = alice.history(BOB, null, 1).getFirst();
      me = alice.local().account();
    }
    {
      try (ProfileStore store = ProfileStore.open(profile)) {
        // the chat's account is where the received message put it
        UUID bob = UUID.fromString(store.read(c -> {
          try (var select = c.prepareStatement("SELECT chat_account FROM messages WHERE id = ?")) {
            select.setString(1, first.id());
            try (var rs = select.executeQuery()) {
              rs.next();
              return rs.getString(1);
            }
          }
        }));
        MessageHistory history = new MessageHistory(store);
        long start = first.timestamp() - count * 60_000L;
        store.transaction(c -> {
          for (int i = 0; i < count; i++) {
            boolean outgoing = i % 3 == 0;
            history.add(new MessageHistory.Entry(
                outgoing ? me : bob, "fill-" + i, 1, bob, null, outgoing, "message number " + i + " of the long chat",
                start + i * 60_000L, start + i * 60_000L, outgoing ? "read" : "read"));
          }
          return null;
        });
      }
    }
  }

  private static double waitForMark(ChromeDriver browser, String mark) {
    Number ms = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(5)).until(d -> (Number) ((JavascriptExecutor) d).executeScript(
        "const m = performance.getEntriesByName(arguments[0]); return m.length ? m[0].startTime : null;", mark));
    return ms.doubleValue();
  }

  private ChromeDriver browser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,800", "--no-first-run", "--disable-extensions");
    return new ChromeDriver(
        new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build(), options);
  }
}
