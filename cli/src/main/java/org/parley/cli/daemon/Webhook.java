package org.parley.cli.daemon;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.parley.client.events.EventJson;
import org.parley.client.events.LoggedEvent;
import org.parley.client.store.EventLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --webhook URL}: POSTs each event of a profile, one JSON object per request, in the order
 * of the log, and goes to the next only once the hook answered 2xx. Anything else (a refusal, a
 * timeout, nobody listening) is tried again after a pause that doubles from 1 s to a minute; the
 * events wait in the log meanwhile. How far the hook got is kept in the profile (the cursor {@code
 * webhook:URL}), so after a restart it goes on where it stopped: an event may come twice (sent,
 * then the daemon died before noting it), never not at all; its {@code eventId} tells a repeat.
 */
final class Webhook implements AutoCloseable {
  static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
  static final Duration LONGEST_PAUSE = Duration.ofMinutes(1);
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(Webhook.class);

  private final URI target;
  private final DeviceHost host;
  private final String account;
  private final String cursor;
  private final EventJson events = new EventJson();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final Thread thread;
  private volatile boolean closed;

  /** @param account the profile's number, sent with each event in multi-profile mode, else {@code null} */
  Webhook(URI target, DeviceHost host, String account) {
    this.target = target;
    this.host = host;
    this.account = account;
    this.cursor = "webhook:" + target;
    this.thread = Thread.ofPlatform().name("parley-webhook").daemon().unstarted(this::run);
  }

  void start() {
    EventLog log = host.feed().log();
    if (log.cursor(cursor) == 0) {
      // A new hook hears what happens from now on, not the whole kept history.
      log.advance(cursor, log.lastId());
    }
    thread.start();
  }

  /** The id of the last event the hook took (2xx): the log keeps every later one for it. */
  long acknowledged() {
    return host.feed().log().cursor(cursor);
  }

  private void run() {
    EventLog eventLog = host.feed().log();
    Duration pause = FIRST_PAUSE;
    try {
      while (!closed) {
        List<LoggedEvent> batch = host.feed().after(eventLog.cursor(cursor), Duration.ofSeconds(30));
        for (LoggedEvent event : batch) {
          while (!closed && !post(event)) {
            sleep(pause);
            pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
          }
          if (closed) {
            return;
          }
          pause = FIRST_PAUSE;
          eventLog.advance(cursor, event.eventId());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One try: whether the hook took the event (2xx). */
  private boolean post(LoggedEvent event) throws InterruptedException {
    var object = events.toJson(event);
    if (account != null) {
      object.put("account", account);
    }
    HttpRequest request =
        HttpRequest.newBuilder(target)
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .header("X-Parley-Event-Id", Long.toString(event.eventId()))
            .POST(HttpRequest.BodyPublishers.ofString(object.toString()))
            .build();
    try {
      int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status / 100 == 2) {
        return true;
      }
      log.warn("webhook {} answered {} for event {}; trying again", target, status, event.eventId());
    } catch (IOException e) {
      log.warn("webhook {} unreachable for event {} ({}); trying again", target, event.eventId(), e.getMessage());
    }
    return false;
  }

  private void sleep(Duration pause) throws InterruptedException {
    synchronized (this) {
      if (!closed) {
        wait(pause.toMillis());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      notifyAll();
    }
    host.feed().wakeAll();
    try {
      thread.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.close();
  }
}
