package org.parley.client;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.BooleanSupplier;
import org.parley.client.events.ClientEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a device receiving for as long as it runs (the daemon, README.md, daemon): one thread takes in
 * what arrives (each envelope committed, with its events logged, before its ack), imports history
 * and answers pre-key shortages as the inbox always does, and when the connection is lost it
 * connects again after a pause that doubles from 1 s up to 30 s (jittered, so many devices do not
 * come back at once), starting over once a connection has lasted. A device not registered yet
 * (a companion still linking) or unlinked waits without connecting.
 *
 * <p>Callers that want to see events as they come ({@code receive} through the daemon) follow the
 * loop instead of running their own.
 */
public final class Receiving implements AutoCloseable {
  static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
  static final Duration LONGEST_PAUSE = Duration.ofSeconds(30);
  /** A connection that lasted this long was a good one: the next pause starts from the first again. */
  private static final Duration LASTED = Duration.ofSeconds(30);
  /** How often a follower waiting for a condition asks it while no event comes. */
  private static final Duration DONE_CHECK = Duration.ofMillis(100);

  private static final Logger log = LoggerFactory.getLogger(Receiving.class);

  private final DeviceContext device;
  private final Online online;
  private final Inbox inbox;
  private final Clock clock;
  private final List<Consumer<ClientEvent>> followers = new CopyOnWriteArrayList<>();
  private final Object wakeUp = new Object();
  private volatile boolean closed;
  private volatile State state = new State("starting", null, 0);
  private Thread thread;

  /**
   * Where the loop is: {@code starting}, {@code connecting}, {@code connected}, {@code
   * disconnected} (with the reason, waiting until {@code retryAt}), {@code not-registered}, {@code
   * unlinked}, {@code stopped}.
   */
  public record State(String name, String reason, long retryAt) {}

  Receiving(DeviceContext device, Online online, Inbox inbox) {
    this.device = device;
    this.online = online;
    this.inbox = inbox;
    this.clock = device.clock;
  }

  void start() {
    online.preferDelivering(true);
    thread = Thread.ofPlatform().name("parley-receive").daemon().start(this::run);
  }

  State state() {
    State now = state;
    if (now.name().equals("receiving")) {
      return online.isOpen() ? new State("connected", null, 0) : new State("connecting", null, 0);
    }
    return now;
  }

  /** Connects again now instead of at the end of the pause (the server said to, or a test). */
  void retryNow() {
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
  }

  private void run() {
    Duration pause = FIRST_PAUSE;
    while (!closed) {
      var local = device.local;
      if (!local.isRegistered() || local.unlinkedReason() != null) {
        state = new State(local.isRegistered() ? "unlinked" : "not-registered", local.unlinkedReason(), 0);
        sleep(FIRST_PAUSE);
        continue;
      }
      long started = clock.millis();
      try {
        state = new State("receiving", null, 0);
        inbox.receiveWhileConnected(this::dispatch, () -> closed);
        state = new State("disconnected", "the connection to the server closed", 0);
      } catch (ClientException e) {
        state = new State("disconnected", e.getMessage(), 0);
      } catch (RuntimeException e) {
        // A bug must not end receiving for good: say so, pause, go on.
        log.warn("the receive loop failed; it starts again", e);
        state = new State("disconnected", String.valueOf(e.getMessage()), 0);
      }
      if (closed) {
        break;
      }
      if (clock.millis() - started >= LASTED.toMillis()) {
        pause = FIRST_PAUSE;
      }
      long jittered = pause.toMillis() / 2 + ThreadLocalRandom.current().nextLong(pause.toMillis() / 2 + 1);
      state = new State(state.name(), state.reason(), clock.millis() + jittered);
      sleep(Duration.ofMillis(jittered));
      pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
    }
    state = new State("stopped", null, 0);
  }

  private void sleep(Duration pause) {
    synchronized (wakeUp) {
      try {
        if (!closed) {
          wakeUp.wait(Math.max(1, pause.toMillis()));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closed = true;
      }
    }
  }

  /** Hands an event to the followers and the device's listener (package-private for tests). */
  void dispatch(ClientEvent event) {
    followers.forEach(f -> f.accept(event));
    device.show(event);
  }

  /**
   * Hands the events the loop takes in to {@code listener} until nothing has come for {@code idle}
   * or {@code done} says so; returns how many it handed on. {@code done} is asked before waiting,
   * after each event and every {@link #DONE_CHECK} while none comes: what it waits for (a history
   * import) may be finished by the loop just after the event that reported it was handed on, or
   * before this follower was added, and no further event need come to wake it.
   */
  int follow(Duration idle, Consumer<ClientEvent> listener, BooleanSupplier done) {
    BlockingQueue<ClientEvent> arrived = new LinkedBlockingQueue<>();
    Consumer<ClientEvent> follower = arrived::add;
    followers.add(follower);
    int count = 0;
    try {
      long lastArrival = System.nanoTime();
      while (!done.getAsBoolean()) {
        long left = idle.toNanos() - (System.nanoTime() - lastArrival);
        if (left <= 0) {
          return count;
        }
        ClientEvent event = arrived.poll(Math.min(left, DONE_CHECK.toNanos()), TimeUnit.NANOSECONDS);
        if (event != null) {
          listener.accept(event);
          count++;
          lastArrival = System.nanoTime();
        }
      }
      // Done: what the loop handed on before it was (the last steps of an import, say) is still
      // queued here and belongs to this follower too.
      followers.remove(follower);
      for (ClientEvent event; (event = arrived.poll()) != null; ) {
        listener.accept(event);
        count++;
      }
      return count;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return count;
    } finally {
      followers.remove(follower);
    }
  }

  @Override
  public void close() {
    closed = true;
    retryNow();
    if (thread != null) {
      try {
        thread.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
