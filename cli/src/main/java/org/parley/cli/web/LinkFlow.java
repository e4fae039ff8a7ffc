package org.parley.cli.web;

import java.time.Clock;
import java.time.Duration;
import org.parley.cli.commands.Caller;
import org.parley.cli.commands.LinkCommand;
import org.parley.cli.daemon.Daemon;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.LoggedEvent;

/**
 * Linking a fresh profile from the page (docs/PROTOCOL.md §6; README.md, web companion): the same {@code startLink}, {@code
 * finishLink} and {@code awaitHistory} handlers as {@code parley link}, with the QR code drawn for
 * the page instead of the terminal. The page polls {@link #status}; when the code expires it asks
 * for a new one ({@link #start} again).
 */
final class LinkFlow {
  /** How long the import may stay silent before the page stops waiting for more history. */
  private static final Duration HISTORY_IDLE = Duration.ofSeconds(60);

  /**
   * What the page shows while linking.
   *
   * @param phase {@code idle}, {@code waiting} (QR shown), {@code importing}, {@code done}, {@code failed}
   */
  record Status(String phase, String uri, String code, long expiresAt, String error, HistorySyncEvent history) {}

  private final Daemon daemon;
  private final String server;
  private final Clock clock;
  private volatile Status status = new Status("idle", null, null, 0, null, null);
  private Thread waiter;

  LinkFlow(Daemon daemon, String server, Clock clock) {
    this.daemon = daemon;
    this.server = server;
    this.clock = clock;
  }

  Status status() {
    Status now = status;
    if (now.phase().equals("waiting") && now.expiresAt() <= clock.millis()) {
      return new Status("expired", null, null, now.expiresAt(), null, null);
    }
    return now;
  }

  /**
   * Shows a new QR code, or an 8-character code to type on the primary ({@code byCode}, docs/PROTOCOL.md
   * §6.1); a link already waiting in the same way keeps its code.
   */
  synchronized Status start(String name, boolean byCode) {
    if (daemon.device().local().isRegistered()) {
      throw new IllegalStateException("this profile is linked already");
    }
    if (server == null && daemon.device().local().serverUrl() == null) {
      throw new IllegalArgumentException(
          "no server to link on: start the page with 'parley web --server ws://HOST:PORT'");
    }
    if (waiter != null && waiter.isAlive() && status().phase().equals("waiting")) {
      if ((status.code() != null) == byCode) {
        return status;
      }
      // The device holds one provisioning socket at a time: the other way starts when this one expires.
      throw new IllegalStateException(
          "the " + (byCode ? "QR code" : "code") + " shown now stays until it expires; the other way starts then");
    }
    if (waiter != null) {
      // The expired code's link ends when the server closes its provisioning socket; a new one
      // can only start after that.
      try {
        waiter.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String url = server != null ? server : daemon.device().local().serverUrl();
    LinkCommand.StartParams params = new LinkCommand.StartParams(url, name, "web");
    if (byCode) {
      LinkCommand.CodeInvitation invitation = daemon.run(LinkCommand.START_LINK_CODE, params, Caller.NONE);
      status = new Status("waiting", null, invitation.code(), invitation.expiresAt(), null, null);
    } else {
      LinkCommand.Invitation invitation = daemon.run(LinkCommand.START_LINK, params, Caller.NONE);
      status = new Status("waiting", invitation.uri(), null, invitation.expiresAt(), null, null);
    }
    waiter = Thread.ofVirtual().name("parley-web-link").start(this::awaitPrimary);
    return status;
  }

  private void awaitPrimary() {
    Status started = status;
    try {
      daemon.run(LinkCommand.FINISH_LINK, new org.parley.cli.commands.Handler.None(), Caller.NONE);
      status = new Status("importing", null, null, 0, null, null);
      daemon.run(LinkCommand.AWAIT_HISTORY, new LinkCommand.AwaitParams((double) HISTORY_IDLE.toSeconds()), progress());
      status = new Status("done", null, null, 0, null, status.history());
    } catch (RuntimeException e) {
      if (status == started) {
        // An expired code is not an error to show: the page asks for a new one.
        status = new Status(status.expiresAt() <= clock.millis() ? "expired" : "failed", null, null, 0, e.getMessage(), null);
      }
    }
  }

  private Caller progress() {
    return new Caller() {
      @Override
      public void event(LoggedEvent event) {
        live(event.event());
      }

      @Override
      public void live(ClientEvent event) {
        if (event instanceof HistorySyncEvent history) {
          status = new Status("importing", null, null, 0, null, history);
        }
      }
    };
  }
}
