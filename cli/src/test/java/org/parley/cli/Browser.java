package org.parley.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium, headless, through Debian's chromedriver (never a downloaded browser: Selenium
 * Manager is not asked, both paths are given). {@code .ci/run} installs both when missing.
 */
final class Browser {
  static final Path CHROMIUM = Path.of(System.getProperty("parley.chromium", "/usr/bin/chromium"));
  static final Path DRIVER = Path.of(System.getProperty("parley.chromedriver", "/usr/bin/chromedriver"));

  private Browser() {}

  static void assumeInstalled() {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "no browser test: " + CHROMIUM + " or " + DRIVER + " is missing"
            + " (apt-get install -y chromium chromium-driver; .ci/run does it)");
  }

  static ChromeDriver start() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
        "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions", "--lang=en-US");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    return driver;
  }

  /**
   * Opens a chat from the list. The list is drawn again on every event (a receipt, a group change),
   * so a row found a moment ago may be gone when clicked: it is then found again.
   */
  static void openChat(ChromeDriver browser, String chat) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
        .ignoreExceptionsInstanceOf(org.openqa.selenium.StaleElementReferenceException.class)
        .until(() -> {
          var rows = browser.findElements(
              org.openqa.selenium.By.cssSelector("#chat-list li[data-chat='" + chat + "'] button"));
          if (rows.isEmpty()) {
            return false;
          }
          rows.getFirst().click();
          return true;
        });
  }

  static Path screenshot(ChromeDriver browser, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Path taken = browser.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(taken, file, StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  /**
   * Where a screenshot of a main screen goes: the repository's docs/images/ with the environment's
   * {@code PARLEY_SCREENSHOTS=docs} (to refresh them), else target/screens/.
   */
  static Path docs(String name) throws IOException {
    Path module = Path.of(System.getProperty("user.dir"));
    Path folder =
        "docs".equals(System.getenv("PARLEY_SCREENSHOTS"))
            ? module.getParent().resolve("docs").resolve("images")
            : module.resolve("target").resolve("screens");
    Files.createDirectories(folder);
    return folder.resolve(name);
  }

  /** Keeps what the page showed when a test failed, in target/web-failures/. */
  static void keepFailure(ChromeDriver browser, String test) {
    try {
      Path folder = Path.of(System.getProperty("user.dir"), "target", "web-failures");
      screenshot(browser, folder.resolve(test + ".png"));
      Files.writeString(folder.resolve(test + ".html"), browser.getPageSource());
    } catch (IOException | RuntimeException e) {
      // the failure itself is what matters
    }
  }
}
