package org.parley.client;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.parley.client.appstate.AppState;
import org.parley.client.appstate.AppStateInbox;
import org.parley.client.appstate.AppStateLog;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.history.HistoryHandoff;
import org.parley.client.messaging.CheckUnavailable;
import org.parley.client.messaging.ContentProcessor;
import org.parley.client.messaging.GroupInbox;
import org.parley.client.messaging.IdentityNotices;
import org.parley.client.messaging.MessageReceiver;
import org.parley.client.messaging.MessageSender;
import org.parley.client.messaging.ReceiptQueue;
import org.parley.client.messaging.ReceiveHooks;
import org.parley.client.messaging.Resends;
import org.parley.client.messaging.RetryRequests;
import org.parley.client.net.ServerConnection;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.ReceiptMessage;
import org.parley.protocol.wire.ReceiptType;
import org.parley.protocol.wire.Request;

/**
 * The receive loop: takes envelopes in order (each committed locally before its ack), imports
 * announced history, and afterwards sends the delivery receipts it owes.
 */
final class Inbox {
  private static final int ACK_BATCH = 64;
  /** Longer than any server keeps an undelivered envelope (30 days by default). */
  private static final Duration REMEMBER_PROCESSED = Duration.ofDays(90);
  /** Reconnects after a sender could not be checked, within one receive, before giving up. */
  private static final int CHECK_RETRIES = 3;
  /** How often a connection that receives without end goes over the retry requests it owes. */
  private static final Duration RETRY_ROUND = Duration.ofMinutes(10);
  /**
   * How often a connection that receives without end sends what its outbox keeps: a send the server
   * failed to store is kept there while the connection lives on, and nothing else would send it
   * before the user's next message.
   */
  private static final Duration OUTBOX_ROUND = Duration.ofSeconds(10);
  /** Silence after which a connection that receives without end is pinged. */
  static final Duration QUIET = Duration.ofSeconds(20);
  /** How long a ping may go unanswered before the connection is taken for dead. */
  static final Duration ANSWER = Duration.ofSeconds(10);

  private final DeviceContext device;
  private final Online online;
  private final ReceiptQueue receipts = new ReceiptQueue();
  private volatile ReceiveHooks hooks = ReceiveHooks.NONE;
  /** Read by a daemon's callers while its receive loop sets it. */
  private volatile boolean historyComplete;
  private long retriesSentAt;
  private long outboxTriedAt;
  private Outbox outbox;
  private Attachments attachments;

  Inbox(DeviceContext device, Online online) {
    this.device = device;
    this.online = online;
  }

  void attachments(Attachments value) {
    this.attachments = value;
  }

  /** What was kept while the server was unreachable goes out once the queue is taken in. */
  void outbox(Outbox value) {
    this.outbox = value;
  }

  void hooks(ReceiveHooks value) {
    this.hooks = value;
  }

  int receive(Duration idle, Consumer<ClientEvent> listener) {
    return receive(idle, listener, false, () -> false);
  }

  boolean awaitHistory(Duration idle, Consumer<ClientEvent> listener) {
    historyComplete = false;
    receive(idle, listener, true, () -> false);
    return historyComplete;
  }

  /** Whether the last part of the primary's history has been imported since this inbox was made. */
  boolean historyComplete() {
    return historyComplete;
  }

  /**
   * Takes in what arrives until the connection ends or {@code stop} says so (the daemon's receive
   * loop, {@link Receiving}), without an idle limit.
   */
  int receiveWhileConnected(Consumer<ClientEvent> listener, BooleanSupplier stop) {
    return receive(null, listener, false, stop);
  }

  /** @param idle how long to wait for something, or {@code null}: for as long as the connection lives */
  private int receive(Duration idle, Consumer<ClientEvent> listener, boolean untilHistory, BooleanSupplier stop) {
    // Set before connecting: what the server says on connect (unlinked, a warning) belongs here.
    online.receiving(true);
    ServerConnection server;
    try {
      server = online.connection(true);
    } catch (RuntimeException e) {
      online.receiving(false);
      throw e;
    }
    device.history.forgetProcessedBefore(device.clock.millis() - REMEMBER_PROCESSED.toMillis());
    HistoryHandoff handoff = device.historyHandoff();
    MessageReceiver receiver = receiver(handoff);
    List<byte[]> acks = new ArrayList<>();
    KeepAlive keepAlive = new KeepAlive();
    int count = 0;
    int retries = 0;
    try {
      // An import cut short by a crash is taken up first, then what was held for identities trusted since.
      historyComplete |= handoff.importPending(listener);
      try {
        for (ClientEvent event : receiver.releaseHeld(server)) {
          listener.accept(event);
          count++;
        }
      } catch (CheckUnavailable e) {
        warn(listener, new WarningEvent("sender-check", e.getMessage() + "; held messages are taken in later"));
      }
      while (!(untilHistory && historyComplete) && !stop.getAsBoolean()) {
        Push push = online.inbox().poll(idle == null ? 1_000 : idle.toMillis(), TimeUnit.MILLISECONDS);
        if (push == null) {
          if (idle == null && !stop.getAsBoolean() && server.isOpen()) {
            keepAlive.check(server);
            if (device.clock.millis() - retriesSentAt >= RETRY_ROUND.toMillis()) {
              // A connection that lasts (the daemon) asks again and gives up in time too.
              retriesSentAt = device.clock.millis();
              sendRetries(server, listener);
            }
            if (outbox != null && outbox.heldByServerRefusal()
                && device.clock.millis() - outboxTriedAt >= OUTBOX_ROUND.toMillis()) {
              // Only after the server answered that it failed: a try on a connection that went
              // silent would hold this loop (and its pings) for a whole request timeout.
              outboxTriedAt = device.clock.millis();
              flushOutbox();
            }
            continue;
          }
          break;
        }
        if (push.hasEnvelope()) {
          Envelope envelope = push.getEnvelope();
          List<ClientEvent> produced;
          try {
            produced = receiver.handle(server, envelope);
          } catch (CheckUnavailable e) {
            // Not acked: it stays queued. Everything after it waits too (order matters within a
            // session), so drop this connection and take the queue again on a new one.
            warn(
                listener,
                new WarningEvent("sender-check", e.getMessage() + "; the message stays on the server and is taken again"));
            count++;
            if (++retries > CHECK_RETRIES) {
              // This connection was handed the envelope and will not hand it again: the next receive
              // takes the queue on a new one.
              ack(server, acks);
              online.abort();
              online.inbox().clear();
              break;
            }
            ack(server, acks);
            server = reconnect(retries);
            continue;
          }
          hooks.committed(envelope);
          acks.add(envelope.getGuid().toByteArray());
          for (ClientEvent event : produced) {
            listener.accept(event);
            count++;
          }
          if (online.inbox().isEmpty() || acks.size() >= ACK_BATCH) {
            ack(server, acks);
          }
          if (online.inbox().isEmpty()) {
            count += fetchAttachments(listener, idle == null);
          }
          if (online.inbox().isEmpty() && receiver.owesRetries()) {
            sendRetries(server, listener);
          }
          historyComplete |= handoff.importPending(listener);
        } else if (push.hasQueueEmpty()) {
          ack(server, acks);
          sendReceipts(server);
          sendRetries(server, listener);
          sendAppState(server);
          flushOutbox();
          count += fetchAttachments(listener, idle == null);
        } else if (push.hasUnlinked()) {
          listener.accept(Online.unlinked(push));
          count++;
          break;
        } else if (push.hasInactivityWarning()) {
          listener.accept(Online.warning(push));
          count++;
        } else if (push.hasReconnect()) {
          // The server is draining: what was pushed before this has been handled; ack it on this
          // connection, then come back on a new one (the next node, or this one once restarted).
          ack(server, acks);
          ServerConnection next = reconnectAfterDrain(push.getReconnect().getRetryAfterMs(), idle, listener);
          if (next == null) {
            break;
          }
          server = next;
          continue;
        } else if (push.hasConnectedElsewhere()) {
          warn(listener, new WarningEvent("connected-elsewhere", "another connection of this device took over"));
          break;
        }
        if (!server.isOpen() && online.inbox().isEmpty()) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      online.receiving(false);
      if (server.isOpen()) {
        ack(server, acks);
        sendReceipts(server);
      }
    }
    return count;
  }

  /**
   * While receiving without end: a connection that has been silent for {@link #QUIET} is pinged,
   * and one that does not answer within {@link #ANSWER} is dropped, so the loop connects again
   * rather than wait on a socket that died without a word.
   */
  private final class KeepAlive {
    private java.util.concurrent.CompletableFuture<Void> ping;
    private long sentAt;

    void check(ServerConnection server) {
      long now = System.nanoTime();
      if (ping == null) {
        if (server.silence().compareTo(QUIET) >= 0) {
          ping = server.ping();
          sentAt = now;
        }
      } else if (ping.isDone()) {
        ping = null;
      } else if (now - sentAt >= ANSWER.toNanos()) {
        device.tell(new WarningEvent("connection-lost", "the server stopped answering; connecting again"));
        online.abort();
      }
    }
  }

  /** A fresh connection after a pause; what the old one pushed and was not acked comes again. */
  private ServerConnection reconnect(int attempt) throws InterruptedException {
    online.abort();
    online.inbox().clear();
    TimeUnit.MILLISECONDS.sleep(250L << Math.min(attempt, 4));
    return online.connection(true);
  }

  /**
   * Fetches the attachments that arrived (after their messages were committed and acked: a download
   * never holds up an ack). Returns how many events that produced. A loop that receives without end
   * ({@code background}: the daemon) leaves them to the background thread and goes on taking in
   * what arrives; their events reach the listener from there. A receive that ends when idle fetches
   * them before it returns, as its caller expects.
   */
  private int fetchAttachments(Consumer<ClientEvent> listener, boolean background) {
    if (attachments == null) {
      return 0;
    }
    if (background) {
      attachments.inBackground(() -> fetchAttachments(listener, false));
      return 0;
    }
    int[] events = {0};
    try {
      attachments.fetchPending(event -> {
        listener.accept(event);
        events[0]++;
      });
    } catch (ClientException e) {
      warn(listener, new WarningEvent("attachments", "attachments could not be fetched yet: " + e.getMessage()));
    }
    return events[0];
  }

  private void flushOutbox() {
    if (outbox == null) {
      return;
    }
    try {
      outbox.flush();
    } catch (ClientException e) {
      device.tell(new WarningEvent("outbox", "messages kept while offline could not be sent yet: " + e.getMessage()));
    }
  }

  /** A warning of the receive loop itself: logged, then handed to the loop's listener. */
  private void warn(Consumer<ClientEvent> listener, ClientEvent warning) {
    device.events.append(warning);
    listener.accept(warning);
  }

  /**
   * Opens a new receiving connection after the server's wait, trying again until {@code idle} has
   * passed; null (with a warning) when the server did not come back in that time.
   */
  private ServerConnection reconnectAfterDrain(long retryAfterMs, Duration idle, Consumer<ClientEvent> listener)
      throws InterruptedException {
    online.reconnectLater();
    long deadline = System.nanoTime() + idle.toNanos() + TimeUnit.MILLISECONDS.toNanos(retryAfterMs);
    long wait = Math.max(100, retryAfterMs);
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(Math.min(wait, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
      try {
        return online.connection(true);
      } catch (RuntimeException e) {
        last = e;
        wait = Math.min(wait * 2, 5000);
      }
    }
    warn(
        listener,
        new WarningEvent(
            "server-restarting",
            "the server is restarting and did not come back in time"
                + (last == null ? "" : " (" + last.getMessage() + ")") + "; receive again later"));
    return null;
  }

  private MessageReceiver receiver(HistoryHandoff handoff) {
    var local = device.local;
    ContentProcessor processor =
        new ContentProcessor(
            device.history, device.contacts, receipts, local.account(), local.phone(), handoff::remember,
            new AppStateInbox(new AppStateLog(device.profile), device.appStateApplier(), device.contacts));
    GroupInbox groupInbox =
        new GroupInbox(
            device.signal, device.groupRoster(device.groupStore()), device.history, () -> online.connection(true),
            local.account(), local.phone());
    return new MessageReceiver(
        device.profile, device.signal, device.directory(), device.contacts, device.history, processor, groupInbox,
        device.clock, local.account(), hooks, new IdentityNotices(device.contacts, local.account()),
        device.events);
  }

  private static void ack(ServerConnection server, List<byte[]> guids) {
    if (guids.isEmpty()) {
      return;
    }
    Ack.Builder ack = Ack.newBuilder();
    guids.forEach(g -> ack.addGuids(ByteString.copyFrom(g)));
    server.sendOneWay(Request.newBuilder().setAck(ack));
    guids.clear();
  }

  /**
   * Retry requests for messages this device could not decrypt, and messages other devices asked for
   * again (docs/PROTOCOL.md, retry requests); after the queue, so what is on its way is not asked for.
   */
  private void sendRetries(ServerConnection server, Consumer<ClientEvent> listener) {
    var local = device.local;
    List<ClientEvent> events = new ArrayList<>();
    events.addAll(new RetryRequests(device.profile, device.signal, device.clock).flush(server, device.sender()));
    events.addAll(
        new Resends(device.profile, device.clock)
            .flush(server, device.sender(), device.groupStore(), device.signal, local.account(), local.deviceId()));
    events.forEach(event -> warn(listener, event));
  }

  /** App-state changes made here while the server could not be reached (docs/PROTOCOL.md §13). */
  private void sendAppState(ServerConnection server) {
    AppState.Sync sync = device.appState(() -> server).flush();
    if (sync.failure() != null) {
      device.tell(
          new WarningEvent(
              "app-state-pending",
              sync.pending() + " app-state change(s) could not be sent yet: " + sync.failure()));
    }
  }

  private void sendReceipts(ServerConnection server) {
    for (Map.Entry<UUID, List<String>> owed : receipts.drain().entrySet()) {
      Content receipt =
          Content.newBuilder()
              .setReceipt(
                  ReceiptMessage.newBuilder()
                      .setType(ReceiptType.DELIVERY)
                      .addAllMessageIds(owed.getValue())
                      .setTimestamp(device.clock.millis()))
              .build();
      try {
        device.sender().send(
            server, List.of(new MessageSender.Part(owed.getKey(), receipt)), device.clock.millis(), true);
      } catch (ClientException e) {
        device.tell(new WarningEvent("receipt-failed", "a delivery receipt could not be sent: " + e.getMessage()));
      }
    }
  }
}
