package org.parley.server.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A relay's metrics as Prometheus reads them: {@code GET /metrics} on the admin listener. */
public final class Scrape {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Scrape() {}

  /** The whole scrape of a running server, in Prometheus' text format. */
  public static String of(TestServer server) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create(server.server().adminUrl() + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The value of one sample line of a scrape. */
  public static double value(String scrape, String sample) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(scrape);
    if (!m.find()) {
      throw new AssertionError("no sample " + sample + " in the scrape");
    }
    return Double.parseDouble(m.group(1));
  }
}
