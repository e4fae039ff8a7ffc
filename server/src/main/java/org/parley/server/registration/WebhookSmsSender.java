package org.parley.server.registration;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs {@code {"phone":"+E164","code":"NNNNNN","message":"..."}} to the operator's SMS gateway.
 * Sent in the background: a slow gateway must not hold up registration requests.
 */
public final class WebhookSmsSender implements SmsSender {
  private static final Logger log = LoggerFactory.getLogger(WebhookSmsSender.class);

  private final URI endpoint;
  private final HttpClient http;

  public WebhookSmsSender(URI endpoint) {
    this.endpoint = endpoint;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Override
  public void send(String phone, String code) {
    String body =
        "{\"phone\":\"" + phone + "\",\"code\":\"" + code
            + "\",\"message\":\"Your Parley verification code is " + code + "\"}";
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                log.warn("SMS webhook {} failed for a code to {}: {}", endpoint, mask(phone), failure.toString());
              } else if (response.statusCode() / 100 != 2) {
                log.warn("SMS webhook {} answered {} for a code to {}", endpoint, response.statusCode(), mask(phone));
              }
            });
  }

  private static String mask(String phone) {
    return phone.length() <= 4 ? "****" : "****" + phone.substring(phone.length() - 4);
  }
}
