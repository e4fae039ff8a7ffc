package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.parley.client.ClientConfig;
import org.parley.client.ClientException;
import org.parley.client.DeviceHooks;
import org.parley.client.messaging.RogueDevice;
import org.parley.client.store.ProfileStore;

/**
 * Groups and undecryptable messages in the web companion (README.md, web companion), in a real
 * browser against a real server process. The page's profile is Alice's primary; Bob, Carol and Dave
 * are CLI devices. What a removed member gets is read from that member's own device.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebGroupsIT {
  static final String ALICE = "+15550001401";
  static final String BOB = "+15550001402";
  static final String CAROL = "+15550001403";
  static final String DAVE = "+15550001404";
  static final String NOBODY = "+15550001499";

  /**
   * The page's device's clock: the real time, moved on by {@link #ahead} when a test needs days to pass
   * (giving up on a message); it keeps ticking, so messages sent from the page still differ in time.
   */
  static final AtomicLong ahead = new AtomicLong();
  static final Clock deviceClock = new Clock() {
    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public long millis() {
      return System.currentTimeMillis() + ahead.get();
    }
  };

  @TempDir static Path dir;
  static WebFixture web;
  static ChromeDriver browser;

  @BeforeAll
  static void start() throws Exception {
    Browser.assumeInstalled();
    web = WebFixture.start(dir).register("alice", ALICE).register("bob", BOB).register("carol", CAROL).register("dave", DAVE);
    web.ok("alice", "contacts", "name", BOB, "Bob Builder");
    web.ok("alice", "contacts", "name", CAROL, "Carol Climber");
    web.serve("alice", new ClientConfig(deviceClock, null));
    browser = Browser.start();
    browser.get("http://127.0.0.1:" + web.http().getPort() + "/#token=" + web.page().loginToken());
    await().atMost(Duration.ofSeconds(60)).until(() -> "true".equals(body().getDomAttribute("data-ready")));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (web != null) {
      web.close();
    }
  }

  static Cli.Run ok(String profile, String... args) {
    return web.ok(profile, args);
  }

  static WebElement body() {
    return browser.findElement(By.tagName("body"));
  }

  static WebElement byId(String id) {
    return browser.findElement(By.id(id));
  }

  static WebElement member(String phone) {
    return browser.findElement(By.cssSelector("#group-member-list li[data-phone='" + phone + "']"));
  }

  /** A member's row's attribute, read in one step: the list is drawn again on every group event. */
  static String memberMark(String phone, String attribute) {
    Object value = ((JavascriptExecutor) browser).executeScript(
        "const li = document.querySelector(\"#group-member-list li[data-phone='\" + arguments[0] + \"']\");"
            + " return li ? li.getAttribute(arguments[1]) : null;", phone, attribute);
    return value == null ? null : value.toString();
  }

  /** The text of a member's row, or of one part of it ({@code part}: a CSS selector inside the row). */
  static String memberText(String phone, String part) {
    Object value = ((JavascriptExecutor) browser).executeScript(
        "const li = document.querySelector(\"#group-member-list li[data-phone='\" + arguments[0] + \"']\");"
            + " const e = li && (arguments[1] ? li.querySelector(arguments[1]) : li); return e ? e.textContent : null;",
        phone, part);
    return value == null ? null : value.toString();
  }

  /** Clicks a member's button; a row drawn again between finding and clicking is found again. */
  static void clickMember(String phone, String action) {
    await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(StaleElementReferenceException.class).until(() -> {
      member(phone).findElement(By.cssSelector("button[data-action='" + action + "']")).click();
      return true;
    });
  }

  /** The group change lines of the open chat, top to bottom. */
  @SuppressWarnings("unchecked")
  static List<String> groupLines() {
    return (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll(\"#messages .msg.system[data-kind='group'] p\")].map((p) => p.textContent);");
  }

  static boolean listed(String phone) {
    return !browser.findElements(By.cssSelector("#group-member-list li[data-phone='" + phone + "']")).isEmpty();
  }

  static void send(String text) {
    WebElement compose = byId("compose");
    compose.sendKeys(text);
    compose.sendKeys(Keys.ENTER);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        browser.findElements(By.cssSelector(".msg.out .body")).stream().anyMatch(e -> e.getText().equals(text)));
  }

  /** Everything a CLI device takes in until {@code until} shows up (or the wait ends). */
  static String receiveUntil(String profile, String until) {
    StringBuilder seen = new StringBuilder();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      seen.append(ok(profile, "receive", "--timeout", "1s").out());
      return seen.toString().contains(until);
    });
    return seen.toString();
  }

  @Test
  @Order(1)
  void anAdminManagesTheGroupFromThePageAndARemovedMemberGetsNothingMore() throws Exception {
    try {
      byId("tab-groups").click();
      byId("group-name").sendKeys("Climbing");
      byId("group-members").sendKeys(BOB);
      browser.findElement(By.cssSelector("#new-group button[type=submit]")).click();
      await().atMost(Duration.ofSeconds(30)).until(() -> byId("chat-title").getText().equals("Climbing"));
      assertThat(byId("chat-sub").getText()).contains("2 members").contains("you are an admin");

      byId("group-info").click();
      await().atMost(Duration.ofSeconds(10)).until(() -> byId("group-panel").isDisplayed());
      assertThat(browser.switchTo().activeElement().getDomAttribute("id")).as("focus moves into the panel").isEqualTo("group-panel-title");
      assertThat(memberText(ALICE, ".member-name")).isEqualTo(ALICE + " (you)");
      assertThat(memberText(ALICE, ".tag.admin")).isEqualTo("admin");
      assertThat(memberMark(ALICE, "data-admin")).isEqualTo("true");
      assertThat(memberText(BOB, null)).contains("Bob Builder").contains(BOB);
      assertThat(memberText(BOB, ".tag.admin")).isNull();
      assertThat(memberMark(BOB, "data-admin")).isEqualTo("false");

      // A number nobody registered: said in a sentence, nothing changes.
      byId("group-add-member").sendKeys(NOBODY, Keys.ENTER);
      await().atMost(Duration.ofSeconds(30)).until(() -> byId("group-panel-error").isDisplayed());
      assertThat(byId("group-panel-error").getText()).contains("Nobody is registered").contains(NOBODY);
      byId("group-add-member").clear();

      // Carol, from the address book by her name.
      byId("group-add-member").sendKeys("Carol Climber", Keys.ENTER);
      await().atMost(Duration.ofSeconds(30)).until(() -> listed(CAROL));
      assertThat(byId("group-panel-error").isDisplayed()).isFalse();
      assertThat(byId("group-panel-status").getText()).isEqualTo("Carol Climber was added to the group.");
      assertThat(byId("chat-sub").getText()).contains("3 members");

      byId("group-panel-close").click();
      assertThat(byId("messages").isDisplayed()).isTrue();
      send("welcome carol");
      assertThat(receiveUntil("carol", "welcome carol")).as("the member added in the page gets the page's message")
          .contains("welcome carol");
      String group = ok("carol", "groups", "list", "--json").json().getFirst().get("id").asText();

      byId("group-info").click();
      clickMember(CAROL, "remove");
      browser.switchTo().alert().accept();
      await().atMost(Duration.ofSeconds(30)).until(() -> !listed(CAROL));
      assertThat(byId("group-panel-status").getText()).isEqualTo("Carol Climber was removed from the group.");
      byId("group-panel-close").click();
      send("after carol left");
      receiveUntil("bob", "after carol left");
      // Bob has it, so it has gone out; Carol's device takes in what reaches it: the removal, no message.
      String atCarol = ok("carol", "receive", "--timeout", "2s").out() + ok("carol", "receive", "--timeout", "1s").out();
      assertThat(atCarol).contains("removed").doesNotContain("after carol left");
      assertThat(ok("carol", "history", "--group", group).out()).contains("welcome carol").doesNotContain("after carol left");

      byId("group-info").click();
      clickMember(BOB, "admin");
      await().atMost(Duration.ofSeconds(30)).until(() -> "true".equals(memberMark(BOB, "data-admin")));
      assertThat(memberText(BOB, ".tag.admin")).isEqualTo("admin");
      assertThat(byId("group-panel-status").getText()).isEqualTo("Bob Builder is now an admin.");
      Browser.screenshot(browser, Browser.docs("web-group.png"));

      // Bob, an admin now, changes the group from his CLI: the page follows without a reload.
      receiveUntil("bob", "admins");
      ok("bob", "groups", "rename", group, "Climbing club");
      ok("bob", "groups", "add", group, DAVE);
      await("the new name, live").atMost(Duration.ofSeconds(30)).until(() -> byId("chat-title").getText().equals("Climbing club"));
      await("the new member, live").atMost(Duration.ofSeconds(30)).until(() -> listed(DAVE));
      assertThat(byId("group-rename-name").getDomProperty("value")).isEqualTo("Climbing club");
      // Every change is a centred line in the chat: those made in the page, and Bob's, taken in and checked.
      List<String> changes = List.of(
          "You created the group \u201CClimbing\u201D", "You added " + CAROL, "You removed " + CAROL,
          "You made " + BOB + " an admin", BOB + " renamed the group to \u201CClimbing club\u201D", BOB + " added " + DAVE);
      await("the changes as lines in the chat").atMost(Duration.ofSeconds(30)).until(() -> groupLines().equals(changes));
      assertThat(((JavascriptExecutor) browser).executeScript(
              "return getComputedStyle(document.querySelector(\"#messages .msg.system[data-kind='group']\")).justifyContent"))
          .as("a system line, centred").isEqualTo("center");

      ok("bob", "groups", "admin", group, ALICE, "--revoke");
      await("no longer an admin, live").atMost(Duration.ofSeconds(30))
          .until(() -> "false".equals(memberMark(ALICE, "data-admin")));
      assertThat(byId("group-panel-role").getText()).contains("you are not an admin");
      assertThat(byId("chat-sub").getText()).doesNotContain("you are an admin");

      clickMember(DAVE, "remove");
      browser.switchTo().alert().accept();
      await("a non-admin's attempt is refused in a sentence").atMost(Duration.ofSeconds(30))
          .until(() -> byId("group-panel-error").isDisplayed());
      assertThat(byId("group-panel-error").getText())
          .isEqualTo("Only an admin of this group can remove members; you are not one. Ask one of its admins.");
      assertThat(listed(DAVE)).isTrue();
      assertThat(ok("bob", "groups", "list").out()).contains(DAVE);

      browser.manage().window().setSize(new Dimension(360, 740));
      assertThat(byId("group-panel").isDisplayed()).isTrue();
      assertThat(((JavascriptExecutor) browser).executeScript(
              "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
          .as("nothing wider than a phone").isEqualTo(true);
      Browser.screenshot(browser, Path.of(System.getProperty("user.dir"), "target", "screens", "web-group-phone.png"));
      browser.manage().window().setSize(new Dimension(1280, 800));

      // By keyboard: Escape closes the panel (not the chat) and gives focus back to its button.
      byId("group-add-member").sendKeys(Keys.ESCAPE);
      await().atMost(Duration.ofSeconds(10)).until(() -> !byId("group-panel").isDisplayed());
      assertThat(browser.switchTo().activeElement().getDomAttribute("id")).isEqualTo("group-info");
      assertThat(byId("messages").isDisplayed()).isTrue();
      assertThat(byId("group-info").getDomAttribute("aria-expanded")).isEqualTo("false");
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "groupManagement");
      throw failure;
    }
  }

  @Test
  @Order(2)
  void aMessageThisDeviceCouldNotDecryptWaitsInItsChatUntilItComesAgain() throws Exception {
    try {
      ok("bob", "send", "--to", ALICE, "before the loss");
      byId("tab-chats").click();
      Browser.openChat(browser, BOB);
      await().atMost(Duration.ofSeconds(30)).until(() -> byId("messages").getText().contains("before the loss"));

      loseSessionWithBob();
      ok("bob", "send", "--to", ALICE, "sent into the gap");
      await("the placeholder stands for it").atMost(Duration.ofSeconds(30))
          .until(() -> !browser.findElements(By.cssSelector("#messages .msg.waiting[data-status='waiting']")).isEmpty());
      assertThat(byId("messages").getText()).contains("Waiting for this message").doesNotContain("sent into the gap");

      // Bob's device takes in the request and sends it again: the message takes the placeholder's place.
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        ok("bob", "receive", "--timeout", "1s");
        return byId("messages").getText().contains("sent into the gap");
      });
      assertThat(browser.findElements(By.cssSelector("#messages .msg.waiting"))).isEmpty();
      List<String> bodies = browser.findElements(By.cssSelector("#messages .msg .body")).stream().map(WebElement::getText).toList();
      assertThat(bodies).containsSubsequence("before the loss", "sent into the gap");
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "waitingMessage");
      throw failure;
    }
  }

  /**
   * The page's device loses its session with Bob (as a damaged store would): his next message cannot
   * be decrypted here.
   */
  static void loseSessionWithBob() throws Exception {
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("alice").resolve(ProfileStore.FILE_NAME));
        PreparedStatement wipe = db.prepareStatement(
            "DELETE FROM sessions WHERE account_id IN (SELECT account_id FROM accounts WHERE phone = ?)")) {
      try (var pragma = db.createStatement()) {
        pragma.execute("PRAGMA busy_timeout=10000");
      }
      wipe.setString(1, BOB);
      assertThat(wipe.executeUpdate()).isPositive();
    }
  }

  @Test
  @Order(3)
  void aDownloadUnderWayDoesNotHoldUpASendFromThePage() throws Exception {
    CountDownLatch brokeOff = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean hold = new AtomicBoolean();
    // First the receive loop's own fetch breaks off (the file stays to be fetched); then the page's
    // request for it is held in the middle of its download until the test lets it go.
    DeviceHooks.downloadProgress(web.daemon().device(), bytes -> {
      if (!hold.get()) {
        brokeOff.countDown();
        throw new ClientException("broken off (test)");
      }
      held.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    JavascriptExecutor js = (JavascriptExecutor) browser;
    try {
      Path file = Files.write(dir.resolve("big.bin"), new byte[300_000]);
      ok("bob", "send", "--to", ALICE, "--attachment", file.toString(), "a big file");
      assertThat(brokeOff.await(30, TimeUnit.SECONDS)).isTrue();
      String id = await().atMost(Duration.ofSeconds(30)).until(() -> (String) js.executeScript(
          "const a = document.querySelector('#messages [data-attachment]'); return a && a.dataset.attachment;"), a -> a != null);

      hold.set(true);
      js.executeScript("window.parleyTestDownload = null; fetch('/web/attachment?id=' + encodeURIComponent(arguments[0]))"
          + ".then((r) => { window.parleyTestDownload = r.status; });", id);
      assertThat(held.await(30, TimeUnit.SECONDS)).as("the page's download is under way").isTrue();

      send("sent while the file comes");
      receiveUntil("bob", "sent while the file comes");
      assertThat(js.executeScript("return window.parleyTestDownload")).as("still downloading").isNull();

      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> Long.valueOf(200).equals(js.executeScript("return window.parleyTestDownload")));
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "downloadAndSend");
      throw failure;
    } finally {
      release.countDown();
      DeviceHooks.downloadProgress(web.daemon().device(), bytes -> {});
    }
  }

  @Test
  @Order(4)
  void aMessageThatDoesNotComeAgainIsMarkedGivenUp() throws Exception {
    try {
      loseSessionWithBob();
      ok("bob", "send", "--to", ALICE, "lost for good");
      await("the placeholder stands for it").atMost(Duration.ofSeconds(30))
          .until(() -> !browser.findElements(By.cssSelector("#messages .msg.waiting[data-status='waiting']")).isEmpty());

      // Bob's device never comes back for the request: days later the page's device stops asking.
      ahead.set(Duration.ofDays(3).toMillis());
      await("marked as given up").atMost(Duration.ofSeconds(30))
          .until(() -> !browser.findElements(By.cssSelector("#messages .msg.waiting[data-status='given-up']")).isEmpty());
      assertThat(browser.findElements(By.cssSelector("#messages .msg.waiting[data-status='waiting']"))).isEmpty();
      assertThat(byId("messages").getText()).contains("did not come again").doesNotContain("lost for good");
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "givenUp");
      throw failure;
    }
  }

  /**
   * A member's power: it sends group messages under ids of its choosing, and the page's own group
   * lines have ids anyone can work out (group-<group>-<version>). A message sent in advance under the
   * next change's id must not keep the line that change writes off the page.
   */
  @Test
  @Order(5)
  void aMemberCannotHideTheNextGroupLineBySendingItsIdFirst() throws Exception {
    try {
      String group = ok("dave", "groups", "create", "Bouldering", "--member", ALICE).out().strip();
      try (RogueDevice dave = RogueDevice.open(dir.resolve("dave"))) {
        dave.postToGroup(group, List.of(dave.accountOf(ALICE)), "taking the next line's id", "group-" + group + "-2");
      }
      byId("tab-chats").click();
      Browser.openChat(browser, group);
      await().atMost(Duration.ofSeconds(30)).until(() -> byId("messages").getText().contains("taking the next line's id"));

      ok("dave", "groups", "rename", group, "Bouldering club");
      await("the rename's line, shown live").atMost(Duration.ofSeconds(30))
          .until(() -> groupLines().stream().anyMatch(l -> l.contains("renamed the group to \u201CBouldering club\u201D")));
      assertThat(byId("messages").getText()).contains("taking the next line's id");
    } catch (Throwable failure) {
      Browser.keepFailure(browser, "groupLineId");
      throw failure;
    }
  }
}
