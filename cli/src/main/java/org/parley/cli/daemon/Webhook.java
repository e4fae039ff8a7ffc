package org.parley.cli.daemon;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.parley.client.events.EventJson;
import org.parley.client.events.LoggedEvent;
import org.parley.client.store.EventLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --webhook URL}: POSTs each event of a profile, one JSON object per request, in the order
 * of the log, and goes to the next only once the hook answered 2xx. Anything else (a refusal, no
 * answer within {@code --webhook-timeout}, nobody listening) is tried again after a pause that
 * doubles from 1 s to a minute. The events wait in the profile's log meanwhile, not in memory: how
 * far the hook got is kept there too (the cursor {@code webhook:URL}), so after a restart it goes on
 * where it stopped. An event may come twice (sent, then the daemon died before noting it), never
 * silently not at all; its {@code eventId} tells a repeat.
 *
 * <p>The log keeps events {@code --keep-events} long for every consumer; for the hook it keeps
 * besides at most {@code --webhook-backlog} events it has not taken. A hook that stays away longer
 * loses the oldest of them, and when it answers again it first gets one {@code forgotten} object
 * saying which ids it missed and how many ({@code since}, {@code oldestKept}, {@code missed}), as an
 * SSE consumer coming back does, then the events still kept. The cursor moves past the gap only
 * once the hook took that notice, so a restart cannot hide it.
 */
final class Webhook implements AutoCloseable {
  static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
  static final Duration LONGEST_PAUSE = Duration.ofMinutes(1);
  static final Duration LONGEST_CONNECT = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(Webhook.class);

  private final URI target;
  private final DeviceHost host;
  private final String account;
  private final String cursor;
  private final Daemon.WebhookLimits limits;
  private final Duration keepEvents;
  private final Clock clock;
  private final EventJson events = new EventJson();
  private final HttpClient http;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param account the profile's number, sent with each event in multi-profile mode, else {@code null}
   * @param keepEvents how long the log keeps events for every consumer: the hook never shortens that
   */
  Webhook(URI target, DeviceHost host, String account, Daemon.WebhookLimits limits, Duration keepEvents, Clock clock) {
    this.target = target;
    this.host = host;
    this.account = account;
    this.cursor = "webhook:" + target;
    this.limits = limits;
    this.keepEvents = keepEvents;
    this.clock = clock;
    Duration connect = limits.timeout().compareTo(LONGEST_CONNECT) < 0 ? limits.timeout() : LONGEST_CONNECT;
    this.http = HttpClient.newBuilder().connectTimeout(connect).build();
    this.thread = Thread.ofPlatform().name("parley-webhook").daemon().unstarted(this::run);
  }

  void start() {
    // A new hook hears what happens from now on, not the whole kept history. A hook with a cursor
    // at 0 is not new: it started on an empty log and is owed everything logged since.
    EventLog log = host.feed().log();
    log.startAt(cursor, log.lastId());
    thread.start();
  }

  /**
   * Up to which id the log may forget events for the hook's sake: what it took, and everything
   * more than the backlog behind the newest event.
   */
  long acknowledged() {
    EventLog eventLog = host.feed().log();
    return Math.max(eventLog.cursor(cursor), eventLog.lastId() - limits.backlog());
  }

  private void run() {
    EventLog eventLog = host.feed().log();
    try {
      while (!closed) {
        long at = eventLog.cursor(cursor);
        if (eventLog.forgottenAfter(at)) {
          long first = eventLog.firstId();
          long resume = first == 0 ? eventLog.lastId() : first - 1;
          if (deliver(gap(at, resume), "the gap after event " + at)) {
            eventLog.advance(cursor, resume);
          }
          continue;
        }
        for (LoggedEvent event : host.feed().after(at, Duration.ofSeconds(30))) {
          if (!deliver(json(event), "event " + event.eventId())) {
            break; // closing, or the event was forgotten while the hook was away: start over from the log
          }
          eventLog.advance(cursor, event.eventId());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Posts until the hook takes it (true), the daemon closes, or the hook has been away so long that
   * the log let go of what it had not taken (false: the caller reads the log again).
   */
  private boolean deliver(ObjectNode object, String what) throws InterruptedException {
    Duration pause = FIRST_PAUSE;
    while (!closed) {
      if (post(object, what)) {
        return true;
      }
      sleep(pause);
      pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
      if (letGo()) {
        return false;
      }
    }
    return false;
  }

  /** Forgets what the hook holds past its backlog (and past --keep-events); whether its next event went. */
  private boolean letGo() {
    EventLog eventLog = host.feed().log();
    long at = eventLog.cursor(cursor);
    if (eventLog.lastId() - at <= limits.backlog()) {
      return false;
    }
    eventLog.forgetBefore(clock.millis() - keepEvents.toMillis(), acknowledged());
    return eventLog.forgottenAfter(at);
  }

  private ObjectNode json(LoggedEvent event) {
    ObjectNode object = events.toJson(event);
    if (account != null) {
      object.put("account", account);
    }
    return object;
  }

  /** What the hook is told of the events it missed: ids {@code since}+1 .. {@code resume}. */
  private ObjectNode gap(long since, long resume) {
    ObjectNode object = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    object.put("type", "forgotten");
    object.put("since", since);
    object.put("oldestKept", resume + 1);
    object.put("missed", resume - since);
    if (account != null) {
      object.put("account", account);
    }
    return object;
  }

  /**
   * One try: whether the hook took it (2xx). The whole exchange, body included, gets the timeout: a
   * hook that accepts and never answers, or answers without end, holds this thread no longer.
   */
  private boolean post(ObjectNode object, String what) throws InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(target)
            .timeout(limits.timeout())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(object.toString()));
    if (object.has("eventId")) {
      request.header("X-Parley-Event-Id", object.get("eventId").asText());
    }
    CompletableFuture<HttpResponse<Void>> exchange =
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding());
    try {
      int status = exchange.get(limits.timeout().toMillis(), TimeUnit.MILLISECONDS).statusCode();
      if (status / 100 == 2) {
        return true;
      }
      log.warn("webhook {} answered {} for {}; trying again", target, status, what);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      log.warn("webhook {} did not answer within {} for {}; trying again", target, limits.timeout(), what);
    } catch (ExecutionException e) {
      String why = e.getCause() instanceof IOException io ? io.toString() : String.valueOf(e.getCause());
      log.warn("webhook {} unreachable for {} ({}); trying again", target, what, why);
    } catch (InterruptedException e) {
      exchange.cancel(true);
      throw e;
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
    // Wakes it from a pause, a wait for events or a hook that is slow to answer.
    thread.interrupt();
    host.feed().wakeAll();
    try {
      thread.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.shutdownNow();
  }
}
