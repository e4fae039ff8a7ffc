package org.parley.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.parley.client.appstate.AppState;
import org.parley.client.attachments.AttachmentUploader;
import org.parley.client.events.AttachmentView;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.client.history.HistoryExporter;
import org.parley.client.linking.CompanionLinker;
import org.parley.client.linking.PrimaryLinker;
import org.parley.client.messaging.GroupChanges;
import org.parley.client.messaging.GroupRoster;
import org.parley.client.messaging.GroupSender;
import org.parley.client.messaging.MessageSender;
import org.parley.client.messaging.OwnDeviceList;
import org.parley.client.messaging.ReceiveHooks;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.EventLog;
import org.parley.client.store.GroupStore;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.Quarantine;
import org.parley.client.store.TrustPolicy;
import org.parley.protocol.wire.DeviceKind;

/**
 * One device, as its owner uses it: register or link, send, receive, read its history, manage the
 * account's devices and groups. A profile directory holds everything it knows; the connection to
 * the server is opened when first needed. Each area lives in its own class; this is the one door.
 */
public final class Device implements AutoCloseable {
  private final DeviceContext device;
  private final Online online;
  private final Registration registration;
  private final Chats chats;
  private final Inbox inbox;
  private final Companions companions;
  private final Outbox outbox;
  private final Attachments attachments;
  private CompletableFuture<CompanionLinker.Result> pendingLink;
  private volatile Receiving receiving;

  private Device(Path directory, ClientConfig config) {
    this.device = new DeviceContext(directory, config);
    this.online = new Online(device);
    this.registration = new Registration(device, online);
    this.attachments = new Attachments(device, online);
    this.chats = new Chats(device, online, attachments);
    this.inbox = new Inbox(device, online);
    this.companions = new Companions(device, online);
    this.outbox =
        new Outbox(
            device,
            waiting -> waiting.groupId() != null
                ? groups().deliver(waiting.groupId(), waiting.data())
                : chats.deliver(waiting.recipient(), waiting.data()));
    chats.outbox(outbox);
    inbox.outbox(outbox);
    inbox.attachments(attachments);
  }

  public static Device open(Path directory, ClientConfig config) {
    return new Device(directory, config);
  }

  public Path directory() {
    return device.directory;
  }

  public LocalDevice local() {
    return device.local;
  }

  /**
   * The profile's event log: every event this device produced, numbered ({@code eventId}), kept
   * for consumers that were away (README.md, daemon).
   */
  public EventLog events() {
    return device.events;
  }

  /** Where warnings and other events go when no receive loop is running (default: nowhere). */
  public void onEvent(Consumer<ClientEvent> listener) {
    device.onEvent(listener);
  }

  // ---------------------------------------------------------------- registration

  /** Asks the server to send a verification code to the phone (step one of registration). */
  public void requestCode(String serverUrl, String phone, String name) {
    registration.requestCode(serverUrl, phone, name);
  }

  /** Finishes registration with the code: this device becomes the account's primary. */
  public void verify(String code) {
    registration.verify(code, null);
  }

  /** Finishes registration of a number protected by a registration lock: the code and the PIN. */
  public void verify(String code, String registrationLockPin) {
    registration.verify(code, registrationLockPin);
  }

  /** On the primary: sets the registration-lock PIN, or clears it with {@code null}. */
  public void setRegistrationLock(String pin) {
    registration.setRegistrationLock(pin);
  }

  // ---------------------------------------------------------------- chats

  /**
   * What was sent: the message's id and when the server stored it for every device.
   *
   * @param status {@code sent}, or {@code pending}: the server could not be reached, the message is
   *     kept and goes out (in order) once this device is connected again
   */
  public record SendResult(
      String messageId, long timestamp, long serverTimestamp, List<String> declined, String status,
      List<String> attachments) {
    public SendResult(String messageId, long timestamp, long serverTimestamp, List<String> declined, String status) {
      this(messageId, timestamp, serverTimestamp, declined, status, List.of());
    }

    public boolean pending() {
      return Outbox.PENDING.equals(status);
    }

    /** The same result naming the ids of the attachments the message carries. */
    SendResult withAttachments(List<String> ids) {
      return new SendResult(messageId, timestamp, serverTimestamp, declined, status, List.copyOf(ids));
    }
  }

  /** Sends a text to a contact's devices and a transcript to this account's other devices. */
  public SendResult sendText(String phone, String body) {
    return chats.sendText(phone, body);
  }

  /**
   * Sends a message with files to a contact ({@code phone}) or a group ({@code groupId}): each file
   * is encrypted with a fresh key and uploaded first (resumably: the same send run again after a
   * failure continues each upload from the server's offset), then the message, which points to them,
   * is sent or kept in the outbox like any other (docs/PROTOCOL.md §14).
   */
  public SendResult send(String phone, String groupId, String body, List<AttachmentUploader.Outgoing> files) {
    if ((phone == null) == (groupId == null)) {
      throw new IllegalArgumentException("name a contact or a group, not both");
    }
    return sendPrepared(phone, groupId, body, files.isEmpty() ? List.of() : attachments.upload(files));
  }

  /** The first half of {@link #send}, for tests that look at (or tamper with) what was uploaded. */
  List<Attachments.Prepared> upload(List<AttachmentUploader.Outgoing> files) {
    return attachments.upload(files);
  }

  /** The second half of {@link #send}: the message that points to files already uploaded. */
  SendResult sendPrepared(String phone, String groupId, String body, List<Attachments.Prepared> prepared) {
    SendResult sent = groupId != null ? groups().send(groupId, body, prepared) : chats.send(phone, body, prepared);
    return sent.withAttachments(prepared.stream().map(p -> p.pointer().getBlobId()).toList());
  }

  /**
   * Fetches an attachment (verified before any plaintext is written, stored in the profile under
   * a name made up here) unless it is here already, and copies it to {@code out} if given.
   */
  public AttachmentView attachment(String id, Path out) {
    return attachments.get(id, out, false);
  }

  /** As {@link #attachment(String, Path)}; {@code replace}: a file at {@code out} is replaced rather than refused. */
  public AttachmentView attachment(String id, Path out, boolean replace) {
    return attachments.get(id, out, replace);
  }

  /** For tests: runs once an {@code out} copy is on disk beside its target, before it takes the name. */
  void beforeAttachmentCopyOut(Runnable hook) {
    attachments.beforeCopyOutPlaced(hook);
  }

  /** Fetches the attachments that arrived and wait; returns how many were fetched. */
  public int fetchAttachments(Consumer<ClientEvent> listener) {
    return attachments.fetchPending(listener);
  }

  /** For tests: uploads die after this many bytes, as a killed process's would. */
  void stopUploadsAfter(long bytes) {
    attachments.stopUploadsAfter(bytes);
  }

  /** For tests: blobs up to this size are uploaded in one request. */
  void oneRequestUpTo(long bytes) {
    attachments.oneRequestUpTo(bytes);
  }

  /** For tests: runs between a fetched file's rename into attachments/ and its row's update (a crash there). */
  void afterAttachmentRename(Runnable hook) {
    attachments.afterRename(hook);
  }

  /** For tests: hears the bytes of each download held so far, and may stop it by throwing. */
  void downloadProgress(java.util.function.LongConsumer progress) {
    attachments.downloadProgress(progress);
  }

  /**
   * Marks a chat read up to now: on this device, on the account's other devices (read sync), and
   * for the senders (read receipts). Returns how many messages became read.
   */
  public int markRead(String phone) {
    return chats.markRead(phone);
  }

  /** A chat's messages (or every chat's), oldest first, as events. */
  public List<MessageEvent> history(String phone, String groupId, int limit) {
    return chats.history(phone, groupId, limit, Long.MAX_VALUE);
  }

  /** The same, sent at or before {@code upTo} (epoch ms): a page further back. */
  public List<MessageEvent> history(String phone, String groupId, int limit, long upTo) {
    return chats.history(phone, groupId, limit, upTo);
  }

  /** A contact's identity as the user accepted it. */
  public record Trusted(String phone, String safetyNumber, boolean verified) {}

  /**
   * Accepts a contact's current (or held) identity; with {@code safetyNumber}, marks it verified,
   * which it must match. Envelopes held for it are taken in by the next receive.
   */
  public Trusted trust(String phone, String safetyNumber) {
    return chats.trust(phone, safetyNumber);
  }

  /** The profile's trust-new-identities setting: on-first-use, always or never. */
  public String trustNewIdentities() {
    return TrustPolicy.of(device.profile).label();
  }

  public void trustNewIdentities(String value) {
    TrustPolicy.parse(value).save(device.profile);
  }

  /** The safety number of this account and a contact (docs/PROTOCOL.md §1). */
  public String safetyNumber(String phone) {
    return chats.safetyNumber(phone);
  }

  /** Group chats (docs/PROTOCOL.md §10): create and change groups, list them, send to them. */
  public GroupChats groups() {
    GroupStore groups = device.groupStore();
    var local = device.local;
    GroupRoster roster = device.groupRoster(groups);
    MessageSender pairwise = device.sender();
    GroupSender groupSender =
        new GroupSender(
            device.signal, groups, roster, device.directory(), pairwise, device.clock, local.account(),
            local.deviceId(), device::tell);
    GroupChanges changes =
        new GroupChanges(
            roster, device.directory(), device.signal.getIdentityKeyPair(), local.account(), local.deviceId(),
            device.clock, device::tell);
    return new GroupChats(
        device.profile, local, groups, roster, changes, groupSender, pairwise, device.history, device.events,
        device.clock, this::online, device::tell, outbox, attachments);
  }

  /**
   * The account's app state (docs/PROTOCOL.md §13): contact names, chat marks, labels, agents, notes, synced
   * end-to-end among the account's own devices.
   */
  public AppState appState() {
    return device.appState(() -> online.connection(false));
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Takes in what arrives, handing each event to the listener, until nothing has arrived for
   * {@code idle} (after the waiting queue has been drained). Returns the number of events.
   */
  public int receive(Duration idle, Consumer<ClientEvent> listener) {
    Receiving loop = receiving;
    if (loop != null) {
      return loop.follow(idle, listener, () -> false);
    }
    return inbox.receive(idle, listener);
  }

  /**
   * Receives from now on, until closed (the daemon): connects, takes in what arrives, connects
   * again with backoff when the connection is lost. {@link #receive} and {@link #awaitHistory}
   * then follow this loop instead of running their own.
   */
  public synchronized void startReceiving() {
    if (receiving == null) {
      Receiving loop = new Receiving(device, online, inbox);
      loop.start();
      receiving = loop;
    }
  }

  /** Where the receive loop of {@link #startReceiving} is, or {@code null} if none runs. */
  public Receiving.State receivingState() {
    Receiving loop = receiving;
    return loop == null ? null : loop.state();
  }

  /** Has the receive loop of {@link #startReceiving} connect again now rather than after its pause. */
  public void reconnectNow() {
    Receiving loop = receiving;
    if (loop != null) {
      loop.retryNow();
    }
  }

  /**
   * On a newly linked companion: takes in what arrives until the primary's history has been
   * imported (progress as {@code history-sync} events), or nothing has come for {@code idle}.
   * Returns whether the history arrived.
   */
  public boolean awaitHistory(Duration idle, Consumer<ClientEvent> listener) {
    Receiving loop = receiving;
    if (loop != null) {
      if (!inbox.historyComplete()) {
        loop.follow(idle, listener, inbox::historyComplete);
      }
      return inbox.historyComplete();
    }
    return inbox.awaitHistory(idle, listener);
  }

  /**
   * Envelopes kept in quarantine because their sender could not be believed (docs/PROTOCOL.md §5), oldest
   * first, as the events that reported them.
   */
  public List<UntrustedEvent> quarantined() {
    return new Quarantine(device.profile).all().stream()
        .map(q -> new UntrustedEvent(
            q.reason(), q.envelope().getSourcePhone(), q.deviceId(), q.envelope().getServerTimestamp(), q.detail()))
        .toList();
  }

  // ---------------------------------------------------------------- devices

  /** One of the account's devices as the server lists it. */
  public record DeviceView(
      int id, String name, String kind, long linkedAt, long lastSeen, boolean primary, boolean current, long unlinkAt) {}

  /**
   * Becomes a companion: shows the QR code (through {@code show}) and waits until a primary adds
   * this device. Returns the device id this device got.
   */
  public CompanionLinker.Result link(
      String serverUrl, String name, DeviceKind kind, Consumer<CompanionLinker.Invitation> show) {
    return companions.link(serverUrl, name, kind, false, show);
  }

  /**
   * Becomes a companion by an 8-character code (docs/PROTOCOL.md §6.1): shows the code (through {@code
   * show}, as {@link CompanionLinker.Invitation#code}) and waits until a primary types it.
   */
  public CompanionLinker.Result linkByCode(
      String serverUrl, String name, DeviceKind kind, Consumer<CompanionLinker.Invitation> show) {
    return companions.link(serverUrl, name, kind, true, show);
  }

  /**
   * Becomes a companion in two steps, for callers that show the QR code elsewhere (the daemon's
   * {@code startLink}/{@code finishLink}, a web page): opens the provisioning socket and returns
   * the invitation at once, while waiting for the primary goes on in the background.
   */
  public CompanionLinker.Invitation startLink(String serverUrl, String name, DeviceKind kind) {
    return startLink(serverUrl, name, kind, false);
  }

  /** {@link #startLink} showing an 8-character code instead of a QR code when {@code byCode}. */
  public synchronized CompanionLinker.Invitation startLink(
      String serverUrl, String name, DeviceKind kind, boolean byCode) {
    if (pendingLink != null && !pendingLink.isDone()) {
      throw new ClientException("a link is already waiting for the primary; finish it first");
    }
    CompletableFuture<CompanionLinker.Invitation> shown = new CompletableFuture<>();
    CompletableFuture<CompanionLinker.Result> linked = new CompletableFuture<>();
    Thread.ofPlatform().daemon().name("parley-link").start(() -> {
      try {
        linked.complete(companions.link(serverUrl, name, kind, byCode, shown::complete));
      } catch (RuntimeException e) {
        linked.completeExceptionally(e);
        shown.completeExceptionally(e);
      }
    });
    pendingLink = linked;
    return join(shown);
  }

  /** Waits until the primary has added this device (after {@link #startLink}); returns what it became. */
  public CompanionLinker.Result finishLink() {
    CompletableFuture<CompanionLinker.Result> linked;
    synchronized (this) {
      linked = pendingLink;
    }
    if (linked == null) {
      throw new ClientException("no link is waiting; start one first (startLink)");
    }
    return join(linked);
  }

  private static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw e;
    }
  }

  /** On the primary: links the device that shows this QR code and sends it a year of history. */
  public PrimaryLinker.Linked addDevice(String linkUri) {
    return addDevice(linkUri, HistoryExporter.DEFAULT_DAYS);
  }

  /**
   * On the primary: links the device that shows this QR code (its {@code parley://link?} line),
   * then exports the last {@code historyDays} days of history to it.
   */
  public PrimaryLinker.Linked addDevice(String linkUri, int historyDays) {
    return companions.addDevice(linkUri, historyDays);
  }

  /**
   * On the primary: links the device that shows the 8-character {@code code} (docs/PROTOCOL.md §6.1), then
   * exports the last {@code historyDays} days of history to it.
   */
  public PrimaryLinker.Linked addDeviceByCode(String code, int historyDays) {
    return companions.addDeviceByCode(code, historyDays);
  }

  /** On the primary: unlinks a companion and signs the list without it. */
  public void unlink(int deviceId) {
    companions.unlink(deviceId);
  }

  /** On a companion: unlinks this device. */
  public void unlinkSelf() {
    companions.unlinkSelf();
  }

  /** How many messages wait in the outbox for the server to be reachable. */
  public int waitingToSend() {
    return outbox.waiting();
  }

  /** Sends what waits in the outbox, oldest first, now; returns how many went. */
  public int flushOutbox() {
    return outbox.flush();
  }

  /** The account's devices, primary first. */
  public List<DeviceView> devices() {
    return companions.devices();
  }

  /** The last time this primary refused the server's copy of its device list, and why. */
  public record DeviceListIncident(long at, String message) {}

  /** When the server last offered a device list this primary had not published, or {@code null}. */
  public DeviceListIncident deviceListIncident() {
    String stored = OwnDeviceList.incident(device.profile);
    if (stored == null) {
      return null;
    }
    int space = stored.indexOf(' ');
    return new DeviceListIncident(Long.parseLong(stored.substring(0, space)), stored.substring(space + 1));
  }

  // ---------------------------------------------------------------- connection

  /** The authenticated connection, opened on first use (without queue delivery). */
  public ServerConnection online() {
    return online.connection(false);
  }

  /** For tests that simulate a crash while an envelope is being taken in. */
  void hooks(ReceiveHooks value) {
    inbox.hooks(value);
  }

  /** This device's identity key pair, for tests that play a primary signing what it should not. */
  org.signal.libsignal.protocol.IdentityKeyPair identityForTests() {
    return device.signal.getIdentityKeyPair();
  }

  /** The profile's stores, for tests that damage them (a wiped session, a lost group key). */
  DeviceContext contextForTests() {
    return device;
  }

  /** A request on this device's connection, for tests that ask the server (or a device) for what they should not. */
  org.parley.protocol.wire.Response callForTests(org.parley.protocol.wire.Request.Builder request) {
    return online.connection(false).call(request);
  }

  /** One content to one device, as retry requests travel, for tests that ask for what they should not have. */
  void sendToDeviceForTests(java.util.UUID account, int deviceId, org.parley.protocol.wire.Content content, long timestamp) {
    device.sender().sendToDevice(online.connection(false), account, deviceId, content, timestamp);
  }

  /** Drops the connection without a goodbye, as a dying process would. */
  void abortConnection() {
    online.abort();
  }

  /** Waits for pre-key uploads and other background work, then closes the connection and profile. */
  @Override
  public void close() {
    Receiving loop = receiving;
    if (loop != null) {
      loop.close();
    }
    attachments.close();
    online.close();
    device.encryptionThreads.close();
    device.profile.close();
  }
}
