package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.parley.cli.daemon.Daemon;
import org.parley.cli.web.WebCompanion;
import org.parley.client.ClientConfig;
import org.parley.client.linking.QrCodes;

/**
 * The web companion (README.md, web companion) in a real browser: Debian's chromium, headless, driven through
 * chromedriver, against a real server process, with CLI devices on the other side. The page is
 * linked by the QR code read from its own screenshot, then used as a person would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebCompanionIT {
  static final String ALICE = "+15550001301";
  static final String BOB = "+15550001302";

  @TempDir static Path dir;
  static WebFixture web;

  @BeforeAll
  static void start() throws Exception {
    web = WebFixture.start(dir).register("alice", ALICE).register("bob", BOB).serve("web", ClientConfig.defaults());
  }

  @AfterAll
  static void stop() {
    if (web != null) {
      web.close();
    }
  }

  @Test
  @Order(1)
  void theLoginTokenWorksOnceAndTheApiWantsTheSessionCookieAndThePagesHeader() throws Exception {
    String rpc = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"version\"}";
    RawHttp.Response index = RawHttp.request(web.http(), "GET", "/", web.headers(), null);
    assertThat(index.status()).isEqualTo(200);
    assertThat(index.headers().get("content-security-policy")).contains("script-src 'self'").doesNotContain("unsafe");
    assertThat(index.body()).doesNotContain("<script>").contains("type=\"module\" src=\"/app.js\"");
    assertThat(RawHttp.request(web.http(), "GET", "/../pom.xml", web.headers(), null).status()).isEqualTo(404);

    String token = web.page().loginToken();
    assertThat(RawHttp.request(web.http(), "POST", "/web/login", web.headers(), "guess").status()).isEqualTo(403);
    RawHttp.Response login = RawHttp.request(web.http(), "POST", "/web/login", web.headers(), token);
    assertThat(login.status()).isEqualTo(204);
    String setCookie = login.headers().get("set-cookie");
    assertThat(setCookie).contains("HttpOnly").contains("SameSite=Strict");
    assertThat(RawHttp.request(web.http(), "POST", "/web/login", web.headers(), token).status()).as("used once").isEqualTo(403);

    Map<String, String> session = web.headers();
    session.put("Cookie", setCookie.substring(0, setCookie.indexOf(';')));
    assertThat(RawHttp.request(web.http(), "POST", "/api/v1/rpc", web.headers(), rpc).status()).isEqualTo(401);
    assertThat(RawHttp.request(web.http(), "POST", "/api/v1/rpc", session, rpc).status())
        .as("a cross-site form cannot add the header").isEqualTo(401);
    Map<String, String> fromPage = new LinkedHashMap<>(session);
    fromPage.put("X-Parley-Request", "1");
    assertThat(RawHttp.request(web.http(), "POST", "/api/v1/rpc", fromPage, rpc).body()).contains("\"version\"");
    assertThat(RawHttp.request(web.http(), "GET", "/web/state", session, null).body()).contains("\"registered\":false");
    Map<String, String> rebound = new LinkedHashMap<>(fromPage);
    rebound.put("Host", "attacker.example:" + web.http().getPort());
    assertThat(RawHttp.request(web.http(), "POST", "/api/v1/rpc", rebound, rpc).status()).as("DNS rebinding").isEqualTo(403);
  }

  @Test
  @Order(2)
  void linkedByTheQrCodeInThePageItShowsHistoryLiveMessagesSendsReadsAndTheUnlink() throws Exception {
    Browser.assumeInstalled();
    web.ok("bob", "send", "--to", ALICE, "old news from before the link");
    web.ok("alice", "receive", "--timeout", "1s");
    web.ok("alice", "contacts", "name", BOB, "Bob Builder");
    ChromeDriver browser = Browser.start();
    try {
      browser.get("http://127.0.0.1:" + web.http().getPort() + "/#token=" + web.page().loginToken());
      await().atMost(Duration.ofSeconds(60)).until(() ->
          Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript(
              "const q = document.getElementById('qr'); return q.complete && q.naturalWidth > 0 && !q.closest('[hidden]');")));
      assertThat(browser.getCurrentUrl()).as("the token leaves the address bar").doesNotContain("token");
      Path shot = Browser.screenshot(browser, dir.resolve("link.png"));
      Files.copy(shot, Browser.docs("web-link.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      String uri = QrCodes.readPng(shot);
      assertThat(uri).startsWith("parley://link?").isEqualTo(browser.findElement(By.id("link-uri")).getDomProperty("value"));

      web.ok("alice", "add-device", "--uri", uri);
      await().atMost(Duration.ofSeconds(90)).until(() -> "true".equals(browser.findElement(By.tagName("body")).getDomAttribute("data-ready")));
      // The address book's name came with the history (app state); the row may be drawn again meanwhile.
      await().atMost(Duration.ofSeconds(30))
          .ignoreExceptionsInstanceOf(org.openqa.selenium.StaleElementReferenceException.class)
          .until(() -> browser.findElements(By.cssSelector("#chat-list li[data-chat='" + BOB + "'] button")).stream()
              .anyMatch(row -> row.getText().contains("Bob Builder")));
      Browser.openChat(browser, BOB);
      await().atMost(Duration.ofSeconds(30)).until(() -> messagesText(browser).contains("old news from before the link"));

      web.ok("bob", "send", "--to", ALICE, "a live hello");
      await("arrives without a reload").atMost(Duration.ofSeconds(30))
          .until(() -> messagesText(browser).contains("a live hello"));

      // A file: shown with its message, then as fetched once the companion holds the verified copy.
      Path menu = Files.write(dir.resolve("menu.txt"), "soup of the day\n".getBytes());
      web.ok("bob", "send", "--to", ALICE, "--attachment", menu.toString(), "the menu");
      await("the file is shown, then fetched").atMost(Duration.ofSeconds(30)).until(() ->
          browser.findElements(By.cssSelector(".attachment[data-state='fetched']")).stream()
              .anyMatch(e -> e.getText().contains("menu.txt") && e.getText().contains("saved on this device")));
      // A picture: fetched, verified and shown in the bubble.
      web.ok("bob", "send", "--to", ALICE, "--attachment", shot.toString(), "a picture");
      await("the picture is shown in the bubble").atMost(Duration.ofSeconds(60)).until(() ->
          Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript(
              "const i = document.querySelector('#messages img.att-image'); return !!i && i.complete && i.naturalWidth > 0;")));

      WebElement compose = browser.findElement(By.id("compose"));
      compose.sendKeys("first line", Keys.chord(Keys.SHIFT, Keys.ENTER), "a reply from the page");
      compose.sendKeys(Keys.ENTER);
      await().atMost(Duration.ofSeconds(30)).until(() -> !browser.findElements(By.cssSelector(".msg.out")).isEmpty());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThat(web.ok("bob", "receive", "--timeout", "1s").out()).contains("a reply from the page"));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        web.ok("alice", "receive", "--timeout", "1s");
        assertThat(web.ok("alice", "history", "--with", BOB).out()).as("the primary's transcript").contains("a reply from the page");
      });
      assertThat(browser.findElement(By.cssSelector(".msg.out .body")).getText()).isEqualTo("first line\na reply from the page");

      web.ok("bob", "read", "--with", ALICE);
      await("ticks turn to read").atMost(Duration.ofSeconds(30)).until(() ->
          "read".equals(browser.findElement(By.cssSelector(".msg.out")).getDomAttribute("data-status")));
      Browser.screenshot(browser, Browser.docs("web-chat.png"));
      browser.manage().window().setSize(new Dimension(360, 740));
      Browser.screenshot(browser, Browser.docs("web-phone.png"));
      browser.manage().window().setSize(new Dimension(1280, 800));

      browser.findElement(By.id("tab-devices")).click();
      await().atMost(Duration.ofSeconds(30)).until(() ->
          browser.findElement(By.id("device-list")).getText().contains("(this browser)"));
      browser.findElement(By.id("tab-groups")).click();
      browser.findElement(By.id("group-name")).sendKeys("Book club");
      browser.findElement(By.id("group-members")).sendKeys(BOB);
      browser.findElement(By.cssSelector("#new-group button[type=submit]")).click();
      await().atMost(Duration.ofSeconds(30)).until(() -> browser.findElement(By.id("chat-title")).getText().equals("Book club"));
      assertThat(browser.findElement(By.id("group-list")).getText()).contains("Book club").contains("you are an admin");
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        web.ok("alice", "receive", "--timeout", "1s");
        assertThat(web.ok("alice", "groups", "list").out()).as("the primary sees the group made in the page").contains("Book club");
      });

      web.ok("alice", "unlink", "2");
      await("the unlinked banner").atMost(Duration.ofSeconds(30))
          .until(() -> !browser.findElements(By.cssSelector(".banner[data-key='unlinked']")).isEmpty());
      assertThat(browser.findElement(By.id("compose")).isEnabled()).isFalse();
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "linkedByTheQrCode");
      throw failure;
    } finally {
      browser.quit();
    }
  }

  @Test
  @Order(3)
  @org.junit.jupiter.api.Timeout(180)
  void parleyWebPrintsItsOneTimeLoginAndASecondOneOnTheProfileJoinsIt() throws Exception {
    Path profile = dir.resolve("web-command");
    Process command = new ProcessBuilder(
            ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
            Main.class.getName(), "--profile", profile.toString(), "web", "--http", "127.0.0.1:0", "--server", web.server().url())
        .redirectErrorStream(true)
        .start();
    try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(command.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      java.util.regex.Pattern address = java.util.regex.Pattern.compile("^open http://127\\.0\\.0\\.1:(\\d+)/#token=(\\S+)$");
      java.util.regex.Matcher open = null;
      while (open == null) {
        String line = lines.readLine();
        if (line == null) {
          break;
        }
        java.util.regex.Matcher m = address.matcher(line);
        open = m.matches() ? m : null;
      }
      assertThat(open).as("'parley web' prints the address to open").isNotNull();
      InetSocketAddress site = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(open.group(1)));
      Map<String, String> host = new LinkedHashMap<>();
      host.put("Host", "127.0.0.1:" + site.getPort());
      RawHttp.Response login = RawHttp.request(site, "POST", "/web/login", host, open.group(2));
      assertThat(login.status()).isEqualTo(204);
      host.put("Cookie", login.headers().get("set-cookie").split(";")[0]);
      assertThat(RawHttp.request(site, "GET", "/web/state", host, null).body()).contains("\"registered\":false");

      Cli.Run second = new Cli(dir).parley("web-command", "web", "--http", "127.0.0.1:0");
      assertThat(second.code()).as(second.err()).isZero();
      assertThat(second.out()).as("a second 'parley web' joins the first and gets a login to its page")
          .contains("open http://127.0.0.1:" + site.getPort() + "/#token=");
    } finally {
      command.destroy();
      command.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(5)
  @org.junit.jupiter.api.Timeout(180)
  void parleyWebJoinsARunningDaemonAndItsLoginWorksOnce() throws Exception {
    try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("web-daemon"))) {
      Cli.Run joined = new Cli(dir).parley("web-daemon", "web");
      assertThat(joined.code()).as(joined.err()).isZero();
      java.util.regex.Matcher open = java.util.regex.Pattern
          .compile("(?m)^open http://127\\.0\\.0\\.1:(\\d+)/#token=(\\S+)$").matcher(joined.out());
      assertThat(open.find()).as("'parley web' prints the daemon's page: %s", joined.out()).isTrue();
      InetSocketAddress site = daemon.http();
      assertThat(Integer.parseInt(open.group(1))).isEqualTo(site.getPort());

      Map<String, String> host = new LinkedHashMap<>();
      host.put("Host", "127.0.0.1:" + site.getPort());
      RawHttp.Response login = RawHttp.request(site, "POST", "/web/login", host, open.group(2));
      assertThat(login.status()).isEqualTo(204);
      assertThat(login.headers().get("set-cookie")).contains("HttpOnly").contains("SameSite=Strict");
      assertThat(RawHttp.request(site, "POST", "/web/login", host, open.group(2)).status()).as("used once").isEqualTo(403);
      String rpc = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"version\"}";
      host.put("Cookie", login.headers().get("set-cookie").split(";")[0]);
      assertThat(RawHttp.request(site, "POST", "/api/v1/rpc", host, rpc).status()).as("no CSRF header").isEqualTo(401);
      host.put("X-Parley-Request", "1");
      assertThat(RawHttp.request(site, "POST", "/api/v1/rpc", host, rpc).body()).contains("\"version\"");
      assertThat(RawHttp.request(site, "GET", "/", host, null).headers().get("content-security-policy"))
          .contains("script-src 'self'");
    }
  }

  @Test
  @Order(4)
  void linkedByAnEightCharacterCodeShownInThePage() throws Exception {
    Browser.assumeInstalled();
    Daemon second = WebFixture.daemon(dir.resolve("web-code"), ClientConfig.defaults());
    ChromeDriver browser = Browser.start();
    try {
      WebCompanion secondPage = WebCompanion.mount(second, web.server().url(), Clock.systemUTC());
      browser.get("http://127.0.0.1:" + second.http().address().getPort() + "/#token=" + secondPage.loginToken() + "&link=code");
      String code = await().atMost(Duration.ofSeconds(60))
          .until(() -> browser.findElement(By.id("link-code")).getText(), t -> t.matches("[A-Z0-9]{4}-[A-Z0-9]{4}"));
      web.ok("alice", "add-device", "--code", code);
      await().atMost(Duration.ofSeconds(90)).until(() -> "true".equals(browser.findElement(By.tagName("body")).getDomAttribute("data-ready")));
      await().atMost(Duration.ofSeconds(30)).until(() -> browser.findElement(By.id("chat-list")).getText().contains("Bob Builder"));
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "linkedByCode");
      throw failure;
    } finally {
      browser.quit();
      second.close();
    }
  }

  static String messagesText(ChromeDriver browser) {
    return browser.findElement(By.id("messages")).getText();
  }
}
