package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.DeviceHooks;

/**
 * The attacker is a stranger who sends files made to run script, with pointers that say so (text/html,
 * image/svg+xml: a modified client states any type): an HTML page and an SVG image, each with a script that, run in the web page's origin, would write to that origin's storage (and
 * could as well call the page's API with the user's session). The web page serves such a file only
 * as a download, never as a document of its own origin: opened in a real browser (chromium) by a
 * user logged in to the page, no script of it runs; and the answer carries the headers that make it
 * so (Content-Disposition: attachment, nosniff, a sandboxing Content-Security-Policy, a type that
 * is never HTML or SVG).
 */
class WebAttachmentAbuseIT {
  static final String ALICE = "+15550001601";
  static final String MALLORY = "+15550001666";
  static final String HTML =
      "<!doctype html><html><body><h1>invoice</h1><script>localStorage.setItem('pwned', 'html');"
          + " document.title = 'pwned';</script></body></html>\n";
  static final String SVG =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"localStorage.setItem('pwned', 'svg-onload')\">"
          + "<script>localStorage.setItem('pwned', 'svg')</script><circle r=\"40\"/></svg>\n";

  @TempDir static Path dir;
  static WebFixture web;

  @BeforeAll
  static void start() throws Exception {
    web = WebFixture.start(dir).register("alice", ALICE).register("mallory", MALLORY).serve("alice", ClientConfig.defaults());
  }

  @AfterAll
  static void stop() {
    if (web != null) {
      web.close();
    }
  }

  @Test
  void aStrangersHtmlAndSvgAreServedAsDownloadsAndNoScriptOfThemRunsInThePage() throws Exception {
    Browser.assumeInstalled();
    Path html = Files.writeString(dir.resolve("invoice.html"), HTML);
    Path svg = Files.writeString(dir.resolve("logo.svg"), SVG);
    // The stranger's client states the types that would make a careless page render the files.
    try (Device mallory = Device.open(dir.resolve("mallory"), ClientConfig.defaults())) {
      DeviceHooks.sendClaiming(mallory, ALICE, "your invoice", List.of(html), "text/html");
      DeviceHooks.sendClaiming(mallory, ALICE, "our logo", List.of(svg), "image/svg+xml");
    }

    Map<String, String> session = web.login();
    String htmlId = fetchedAttachment(session, "invoice.html");
    String svgId = fetchedAttachment(session, "logo.svg");

    ChromeDriver browser = Browser.start();
    try {
      String origin = "http://127.0.0.1:" + web.http().getPort();
      browser.get(origin + "/#token=" + web.page().loginToken());
      await().atMost(Duration.ofSeconds(60)).until(() -> "true".equals(browser.findElement(By.tagName("body")).getDomAttribute("data-ready")));
      for (String id : List.of(htmlId, svgId)) {
        // As a link in a message, or a link the stranger sent, would open it: in the page's origin, logged in.
        browser.get(origin + "/web/attachment?id=" + id);
        browser.get(origin + "/");
        await().atMost(Duration.ofSeconds(30)).until(() -> "true".equals(browser.findElement(By.tagName("body")).getDomAttribute("data-ready")));
        assertThat(((JavascriptExecutor) browser).executeScript("return localStorage.getItem('pwned');"))
            .as("no script of the stranger's file ran in the page's origin").isNull();
      }
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "strangersHtmlAndSvg");
      throw failure;
    } finally {
      browser.quit();
    }

    for (String id : List.of(htmlId, svgId)) {
      RawHttp.Response served = RawHttp.request(web.http(), "GET", "/web/attachment?id=" + id, session, null);
      assertThat(served.status()).isEqualTo(200);
      assertThat(served.body()).as("the file itself, unchanged").isIn(HTML, SVG);
      assertThat(served.headers().get("content-type")).isEqualTo("application/octet-stream");
      assertThat(served.headers().get("content-disposition")).startsWith("attachment;");
      assertThat(served.headers().get("x-content-type-options")).isEqualTo("nosniff");
      assertThat(served.headers().get("content-security-policy")).contains("sandbox").contains("default-src 'none'");
    }
  }

  /** The id of the stranger's attachment with this file name, once the page's device has fetched it. */
  private static String fetchedAttachment(Map<String, String> session, String fileName) {
    Pattern attachment = Pattern.compile(
        "\\{[^{}]*\"id\":\"([A-Za-z0-9_-]+)\"[^{}]*\"fileName\":\"" + Pattern.quote(fileName) + "\"[^{}]*\"status\":\"fetched\"[^{}]*}");
    String rpc = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"history\",\"params\":{\"recipient\":\"" + MALLORY + "\"}}";
    Map<String, String> api = new LinkedHashMap<>(session);
    api.put("X-Parley-Request", "1");
    return await().atMost(Duration.ofSeconds(60)).until(() -> {
      Matcher m = attachment.matcher(RawHttp.request(web.http(), "POST", "/api/v1/rpc", api, rpc).body());
      return m.find() ? m.group(1) : null;
    }, id -> id != null);
  }
}
