package org.parley.client;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.parley.client.events.UnlinkedEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.keys.PreKeys;
import org.parley.client.net.ServerConnection;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.PreKeysLow;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.protocol.wire.UploadKeys;

/**
 * The device's authenticated connection: opened when first needed (receiving its queue or not),
 * and the pushes that come on it. Envelopes go to the inbox of the receive loop; pre-key
 * shortages are answered in the background; unlinks are remembered at once.
 */
final class Online implements AutoCloseable {
  private final DeviceContext device;
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parley-device").daemon().unstarted(r));
  private final BlockingQueue<Push> inbox = new LinkedBlockingQueue<>();
  private ServerConnection connection;
  private boolean connectionDelivers;
  private boolean listReconciled;
  private volatile boolean receiving;
  private volatile boolean preferDelivering;

  Online(DeviceContext device) {
    this.device = device;
  }

  /**
   * A device that receives all the time (the daemon) keeps one connection, which takes its queue:
   * a send that finds it down opens that one, not a second, sending-only one.
   */
  void preferDelivering(boolean value) {
    this.preferDelivering = value;
  }

  /** Whether a connection to the server is open now. */
  synchronized boolean isOpen() {
    return connection != null && connection.isOpen();
  }

  /** The connection, opened if needed; {@code deliver} asks for one that receives the queue. */
  synchronized ServerConnection connection(boolean deliver) {
    device.requireLinked();
    deliver |= preferDelivering;
    if (connection != null && connection.isOpen() && (connectionDelivers || !deliver)) {
      return connection;
    }
    if (connection != null) {
      connection.close();
    }
    var local = device.local;
    connection =
        ServerConnection.open(
            ServerConnection.Target.device(
                local.serverUrl(), local.account().toString(), local.deviceId(), local.credential(),
                device.ssl, deliver),
            this::onPush);
    connectionDelivers = deliver;
    worker.execute(this::rotateKeys);
    if (local.isPrimary() && !listReconciled) {
      // Back online, the primary re-signs the list if companions went away meanwhile. Not a reason
      // to fail what the user asked for: an unlinked primary hears why from the server's push.
      try {
        device.ownList().reconcile(connection);
        listReconciled = true;
      } catch (ClientException e) {
        if (!"UNLINKED".equals(e.code())) {
          device.tell(new WarningEvent("device-list", "could not publish this account's device list: " + e.getMessage()));
        }
      }
    }
    return connection;
  }

  /** Where envelopes (and, while receiving, unlinks and warnings) wait for the receive loop. */
  BlockingQueue<Push> inbox() {
    return inbox;
  }

  /** While a receive loop runs, what the server says goes to it instead of the event listener. */
  void receiving(boolean value) {
    this.receiving = value;
  }

  /** Closes the connection (the server asked to reconnect); the next use opens a new one. */
  synchronized void reconnectLater() {
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }

  /** Drops the connection without a goodbye, as a dying process would. */
  synchronized void abort() {
    if (connection != null) {
      connection.abort();
      connection = null;
    }
  }

  /** Runs on the socket's reader thread: never block here. */
  private void onPush(Push push) {
    switch (push.getBodyCase()) {
      case ENVELOPE, QUEUE_EMPTY, CONNECTED_ELSEWHERE, RECONNECT -> inbox.add(push);
      case PRE_KEYS_LOW -> worker.execute(() -> refill(push.getPreKeysLow()));
      case UNLINKED -> {
        UnlinkedEvent event = unlinked(push);
        device.profile.transaction(c -> {
          device.local.unlinked(event.reason(), event.at());
          device.events.append(event);
          return null;
        });
        if (receiving) {
          inbox.add(push);
        } else {
          device.show(event);
        }
      }
      case INACTIVITY_WARNING -> {
        WarningEvent event = warning(push);
        device.events.append(event);
        if (receiving) {
          inbox.add(push);
        } else {
          device.show(event);
        }
      }
      default -> {}
    }
  }

  private void refill(PreKeysLow low) {
    try {
      int ec = low.getPreKeys() < PreKeys.BATCH ? PreKeys.BATCH - low.getPreKeys() : 0;
      int kyber = low.getKyberPreKeys() < PreKeys.BATCH ? PreKeys.BATCH - low.getKyberPreKeys() : 0;
      var upload = new PreKeys(device.profile, device.signal).refill(ec, kyber, device.clock.millis());
      ServerConnection server;
      synchronized (this) {
        server = connection;
      }
      if (server != null && server.isOpen()) {
        server.call(Request.newBuilder().setUploadKeys(UploadKeys.newBuilder().setKeys(upload)));
      }
    } catch (RuntimeException e) {
      device.tell(new WarningEvent("pre-keys", "could not upload new pre-keys: " + e.getMessage()));
    }
  }

  /** Replaces week-old signed and last-resort pre-keys, and deletes replaced ones whose time is up. */
  private void rotateKeys() {
    try {
      PreKeys keys = new PreKeys(device.profile, device.signal);
      long now = device.clock.millis();
      keys.forgetReplaced(now);
      Optional<KeyUpload> upload = keys.rotation(now);
      ServerConnection server;
      synchronized (this) {
        server = connection;
      }
      if (upload.isPresent() && server != null && server.isOpen()) {
        server.call(Request.newBuilder().setUploadKeys(UploadKeys.newBuilder().setKeys(upload.get())));
        keys.uploaded(upload.get());
      }
    } catch (RuntimeException e) {
      // The keys stay unconfirmed and are uploaded on the next connection.
      device.tell(new WarningEvent("pre-keys", "could not upload new signed pre-keys: " + e.getMessage()));
    }
  }

  static UnlinkedEvent unlinked(Push push) {
    String name =
        switch (push.getUnlinked().getReason()) {
          case REMOVED_BY_PRIMARY -> "removed-by-primary";
          case PRIMARY_INACTIVE -> "primary-inactive";
          case COMPANION_INACTIVE -> "companion-inactive";
          case UNLINKED_SELF -> "unlinked-self";
          case REREGISTERED -> "re-registered";
          case ACCOUNT_DELETED -> "account-deleted";
          default -> "unlinked";
        };
    return new UnlinkedEvent(
        name, push.getUnlinked().getAt(), "this device was unlinked (" + name + "); link it again with 'parley link'");
  }

  static WarningEvent warning(Push push) {
    var warning = push.getInactivityWarning();
    boolean primary = warning.getReason() == UnlinkReason.PRIMARY_INACTIVE;
    return new WarningEvent(
        primary ? "primary-inactive" : "companion-inactive",
        "this device will be unlinked at " + Instant.ofEpochMilli(warning.getUnlinkAt())
            + (primary
                ? " because the primary device has not been online; open Parley on the primary to keep it linked"
                : " because it has not been online; use it to keep it linked"),
        warning.getUnlinkAt());
  }

  /** Waits for pre-key uploads in flight, then closes the connection. */
  @Override
  public void close() {
    worker.shutdown();
    try {
      worker.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (connection != null) {
        connection.close();
        connection = null;
      }
    }
  }
}
