package org.parley.client;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.UnlinkedEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.history.HistoryExporter;
import org.parley.client.history.HistoryHandoff;
import org.parley.client.keys.PreKeys;
import org.parley.client.linking.CompanionLinker;
import org.parley.client.linking.LinkUri;
import org.parley.client.linking.PrimaryLinker;
import org.parley.client.messaging.ContentProcessor;
import org.parley.client.messaging.DeviceDirectory;
import org.parley.client.messaging.GroupInbox;
import org.parley.client.messaging.GroupRoster;
import org.parley.client.messaging.GroupSender;
import org.parley.client.messaging.MessageReceiver;
import org.parley.client.messaging.MessageSender;
import org.parley.client.messaging.OwnDeviceList;
import org.parley.client.messaging.ReceiptQueue;
import org.parley.client.messaging.ReceiveHooks;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.Contacts;
import org.parley.client.store.GroupStore;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.NewDevice;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.ReceiptMessage;
import org.parley.protocol.wire.ReceiptType;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Registered;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.SentTranscript;
import org.parley.protocol.wire.SyncMessage;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.protocol.wire.UploadKeys;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.util.KeyHelper;

/**
 * One device, as its owner uses it: register, send, receive, read its history. A profile directory
 * holds everything it knows; the connection to the server is opened when first needed.
 */
public final class Device implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path directory;
  private final ClientConfig config;
  private final Clock clock;
  private final ProfileStore profile;
  private final SignalStore signal;
  private final LocalDevice local;
  private final Contacts contacts;
  private final MessageHistory history;
  private final ReceiptQueue receipts = new ReceiptQueue();
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("parley-device").daemon().unstarted(r));
  private final BlockingQueue<Push> inbox = new LinkedBlockingQueue<>();
  private volatile Consumer<ClientEvent> events = event -> {};
  private volatile ReceiveHooks hooks = ReceiveHooks.NONE;
  private ServerConnection connection;
  private boolean connectionDelivers;
  private boolean listReconciled;
  private volatile boolean receiving;
  private boolean historyComplete;

  private Device(Path directory, ClientConfig config) {
    this.directory = directory;
    this.config = config;
    this.clock = config.clock();
    this.profile = ProfileStore.open(directory);
    this.signal = new SignalStore(profile);
    this.local = new LocalDevice(profile);
    this.contacts = new Contacts(profile);
    this.history = new MessageHistory(profile);
  }

  public static Device open(Path directory, ClientConfig config) {
    return new Device(directory, config);
  }

  public Path directory() {
    return directory;
  }

  public LocalDevice local() {
    return local;
  }

  /** Where warnings and other events go when no receive loop is running (default: nowhere). */
  public void onEvent(Consumer<ClientEvent> listener) {
    this.events = listener;
  }

  /** For tests that simulate a crash while an envelope is being taken in. */
  void hooks(ReceiveHooks value) {
    this.hooks = value;
  }

  /** Drops the connection without a goodbye, as a dying process would. */
  void abortConnection() {
    synchronized (this) {
      if (connection != null) {
        connection.abort();
        connection = null;
      }
    }
  }

  // ---------------------------------------------------------------- registration

  /** Asks the server to send a verification code to the phone (step one of registration). */
  public void requestCode(String serverUrl, String phone, String name) {
    String number = PhoneNumbers.normalize(phone);
    if (local.isRegistered() && local.unlinkedReason() == null) {
      throw new ClientException(
          "this profile is already registered as " + local.phone() + "; use another --profile for another device");
    }
    if (!signal.hasIdentity() || local.isRegistered()) {
      signal.initialize(IdentityKeyPair.generate(), KeyHelper.generateRegistrationId(false));
      byte[] credential = new byte[32];
      RANDOM.nextBytes(credential);
      profile.putSetting("pending_credential", credential);
    }
    local.prepare(serverUrl, number, name == null || name.isBlank() ? "primary" : name, DeviceKind.PHONE_VALUE);
    try (ServerConnection anonymous = anonymous(serverUrl)) {
      anonymous.call(Request.newBuilder().setRequestCode(RequestCode.newBuilder().setPhone(number)));
    }
  }

  /** Finishes registration with the code: this device becomes the account's primary. */
  public void verify(String code) {
    String serverUrl = local.serverUrl();
    byte[] credential = profile.setting("pending_credential");
    if (serverUrl == null || credential == null) {
      throw new ClientException("no registration is pending on this profile; run 'parley register' first");
    }
    NewDevice device =
        NewDevice.newBuilder()
            .setIdentityKey(ByteString.copyFrom(signal.getIdentityKeyPair().getPublicKey().serialize()))
            .setRegistrationId(signal.getLocalRegistrationId())
            .setCredential(ByteString.copyFrom(credential))
            .setName(local.name())
            .setKindValue(local.kind())
            .setKeys(new PreKeys(profile, signal).initial(clock.millis()))
            .build();
    Registered registered;
    try (ServerConnection anonymous = anonymous(serverUrl)) {
      registered =
          anonymous
              .call(
                  Request.newBuilder()
                      .setRegister(
                          Register.newBuilder().setPhone(local.phone()).setCode(code.strip()).setDevice(device)))
              .getRegistered();
    }
    UUID account = UUID.fromString(registered.getAccountId());
    local.registered(account, registered.getDeviceId(), local.phone(), credential);
    contacts.pinPrimary(account, local.phone(), signal.getIdentityKeyPair().getPublicKey().serialize());
    // Connecting as the primary publishes the first signed device list.
    online();
  }

  private OwnDeviceList ownList() {
    return new OwnDeviceList(signal.getIdentityKeyPair(), local.account(), local.name(), local.kind(), clock);
  }

  // ---------------------------------------------------------------- sending

  /** What was sent: the message's id and when the server stored it for every device. */
  public record SendResult(String messageId, long timestamp, long serverTimestamp, List<String> declined) {}

  /** Sends a text to a contact's devices and a transcript to this account's other devices. */
  public SendResult sendText(String phone, String body) {
    String number = PhoneNumbers.normalize(phone);
    ServerConnection server = online();
    DeviceDirectory directory = deviceDirectory();
    UUID recipient =
        directory.cachedByPhone(number).map(DeviceDirectory.Account::id)
            .orElseGet(() -> directory.refreshByPhone(server, number).id());
    long now = clock.millis();
    DataMessage data =
        DataMessage.newBuilder().setId(UUID.randomUUID().toString()).setBody(body).setTimestamp(now).build();
    List<MessageSender.Part> parts = new ArrayList<>();
    parts.add(new MessageSender.Part(recipient, Content.newBuilder().setData(data).build()));
    if (!recipient.equals(local.account())) {
      parts.add(
          new MessageSender.Part(
              local.account(),
              Content.newBuilder()
                  .setSync(
                      SyncMessage.newBuilder()
                          .setSent(
                              SentTranscript.newBuilder()
                                  .setDestinationAccount(recipient.toString())
                                  .setDestinationPhone(number)
                                  .setMessage(data)))
                  .build()));
    }
    MessageSender.Result result = sender().send(server, parts, now, false);
    if (result.unreachable().contains(recipient)) {
      throw new ClientException(
          "UNTRUSTED",
          "nothing was sent: no device of " + number + " is vouched for by its primary's signed device list",
          null);
    }
    history.add(
        new MessageHistory.Entry(
            local.account(), data.getId(), local.deviceId(), recipient, null, true, body, now,
            result.serverTimestamp(), "sent"));
    return new SendResult(data.getId(), now, result.serverTimestamp(), result.declined());
  }

  /** Group chats (DESIGN.md §9): create and change groups, list them, send to them. */
  public GroupChats groups() {
    GroupStore groups = new GroupStore(profile, contacts);
    GroupRoster roster = new GroupRoster(groups, local.account());
    MessageSender pairwise = sender();
    GroupSender groupSender =
        new GroupSender(signal, groups, roster, deviceDirectory(), pairwise, clock, local.account(), local.deviceId());
    return new GroupChats(local, groups, roster, groupSender, pairwise, history, clock, this::online);
  }

  // ---------------------------------------------------------------- receiving

  /**
   * Takes in what arrives, handing each event to the listener, until nothing has arrived for
   * {@code idle} (after the waiting queue has been drained). Returns the number of events.
   */
  public int receive(Duration idle, Consumer<ClientEvent> listener) {
    return receive(idle, listener, false);
  }

  /**
   * On a newly linked companion: takes in what arrives until the primary's history has been
   * imported (progress as {@code history-sync} events), or nothing has come for {@code idle}.
   * Returns whether the history arrived.
   */
  public boolean awaitHistory(Duration idle, Consumer<ClientEvent> listener) {
    historyComplete = false;
    receive(idle, listener, true);
    return historyComplete;
  }

  private int receive(Duration idle, Consumer<ClientEvent> listener, boolean untilHistory) {
    // Set before connecting: what the server says on connect (unlinked, a warning) belongs here.
    receiving = true;
    ServerConnection server;
    try {
      server = online(true);
    } catch (RuntimeException e) {
      receiving = false;
      throw e;
    }
    HistoryHandoff handoff = historyHandoff();
    MessageReceiver receiver = receiver(handoff);
    List<byte[]> acks = new ArrayList<>();
    int count = 0;
    try {
      // An import cut short by a crash is taken up first.
      historyComplete |= handoff.importPending(listener);
      while (!(untilHistory && historyComplete)) {
        Push push = inbox.poll(idle.toMillis(), TimeUnit.MILLISECONDS);
        if (push == null) {
          break;
        }
        if (push.hasEnvelope()) {
          Envelope envelope = push.getEnvelope();
          List<ClientEvent> produced = receiver.handle(server, envelope);
          hooks.committed(envelope);
          acks.add(envelope.getGuid().toByteArray());
          for (ClientEvent event : produced) {
            listener.accept(event);
            count++;
          }
          if (inbox.isEmpty() || acks.size() >= 64) {
            ack(server, acks);
          }
          historyComplete |= handoff.importPending(listener);
        } else if (push.hasQueueEmpty()) {
          ack(server, acks);
          sendReceipts(server);
        } else if (push.hasUnlinked()) {
          listener.accept(unlinked(push));
          count++;
          break;
        } else if (push.hasInactivityWarning()) {
          listener.accept(warning(push));
          count++;
        } else if (push.hasConnectedElsewhere()) {
          listener.accept(new WarningEvent("connected-elsewhere", "another connection of this device took over"));
          break;
        }
        if (!server.isOpen() && inbox.isEmpty()) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      receiving = false;
      if (server.isOpen()) {
        ack(server, acks);
        sendReceipts(server);
      }
    }
    return count;
  }

  private void ack(ServerConnection server, List<byte[]> guids) {
    if (guids.isEmpty()) {
      return;
    }
    org.parley.protocol.wire.Ack.Builder ack = org.parley.protocol.wire.Ack.newBuilder();
    guids.forEach(g -> ack.addGuids(ByteString.copyFrom(g)));
    server.sendOneWay(Request.newBuilder().setAck(ack));
    guids.clear();
  }

  private void sendReceipts(ServerConnection server) {
    for (Map.Entry<UUID, List<String>> owed : receipts.drain().entrySet()) {
      Content receipt =
          Content.newBuilder()
              .setReceipt(
                  ReceiptMessage.newBuilder()
                      .setType(ReceiptType.DELIVERY)
                      .addAllMessageIds(owed.getValue())
                      .setTimestamp(clock.millis()))
              .build();
      try {
        sender().send(server, List.of(new MessageSender.Part(owed.getKey(), receipt)), clock.millis(), true);
      } catch (ClientException e) {
        events.accept(new WarningEvent("receipt-failed", "a delivery receipt could not be sent: " + e.getMessage()));
      }
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * Marks a chat read up to now: on this device, on the account's other devices (read sync), and
   * for the senders (read receipts). Returns how many messages became read.
   */
  public int markRead(String phone) {
    String number = PhoneNumbers.normalize(phone);
    UUID chat =
        contacts.byPhone(number).map(Contacts.Known::account)
            .orElseThrow(() -> new ClientException("there is no chat with " + number));
    long now = clock.millis();
    List<MessageHistory.Entry> read = history.markRead(chat, null, now);
    ServerConnection server = online();
    Content sync =
        Content.newBuilder()
            .setSync(
                SyncMessage.newBuilder()
                    .setRead(
                        org.parley.protocol.wire.ReadSync.newBuilder()
                            .addMarks(
                                org.parley.protocol.wire.ReadMark.newBuilder()
                                    .setChatAccount(chat.toString())
                                    .setUpToTimestamp(now))))
            .build();
    sender().send(server, List.of(new MessageSender.Part(local.account(), sync)), now, false);
    if (!read.isEmpty()) {
      Content receipt =
          Content.newBuilder()
              .setReceipt(
                  ReceiptMessage.newBuilder()
                      .setType(ReceiptType.READ)
                      .addAllMessageIds(read.stream().map(MessageHistory.Entry::id).toList())
                      .setTimestamp(now))
              .build();
      sender().send(server, List.of(new MessageSender.Part(chat, receipt)), now, true);
    }
    return read.size();
  }

  // ---------------------------------------------------------------- history

  /** A chat's messages (or every chat's), oldest first, as events. */
  public List<MessageEvent> history(String phone, String groupId, int limit) {
    UUID chat = null;
    if (phone != null) {
      String number = PhoneNumbers.normalize(phone);
      chat = contacts.byPhone(number).map(Contacts.Known::account).orElse(null);
      if (chat == null) {
        return List.of();
      }
    }
    List<MessageEvent> out = new ArrayList<>();
    for (MessageHistory.Entry entry : history.list(chat, groupId, limit)) {
      String author = entry.outgoing() ? local.phone() : contacts.phoneOf(entry.author());
      String to = entry.outgoing() && entry.chatAccount() != null ? contacts.phoneOf(entry.chatAccount()) : null;
      out.add(ContentProcessor.event(entry, author, to));
    }
    return out;
  }

  // ---------------------------------------------------------------- linking

  /**
   * Becomes a companion: shows the QR code (through {@code show}) and waits until a primary adds
   * this device. Returns the device id this device got.
   */
  public CompanionLinker.Result link(
      String serverUrl, String name, DeviceKind kind, Consumer<CompanionLinker.Invitation> show) {
    CompanionLinker.Result result =
        new CompanionLinker(profile, signal, local, contacts, clock, config.ssl())
            .link(serverUrl, name == null || name.isBlank() ? kind.name().toLowerCase(java.util.Locale.ROOT) : name, kind, show);
    // Learn the account's devices now, so the first message from here reaches every one of them.
    deviceDirectory().refresh(online(), result.account());
    return result;
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
    requirePrimary("add devices");
    if (historyDays < 1) {
      throw new ClientException("--history-days must be at least 1");
    }
    ServerConnection server = online();
    PrimaryLinker.Linked linked =
        new PrimaryLinker(
                signal.getIdentityKeyPair(), local.account(), local.phone(), local.serverUrl(), ownList(), clock)
            .add(server, LinkUri.parse(linkUri));
    // The companion is on the signed list now: whatever arrives from here on reaches it directly,
    // and everything before is in the export.
    deviceDirectory().refresh(server, local.account());
    historyHandoff().send(server, sender(), linked.deviceId(), historyDays);
    return linked;
  }

  /** On the primary: unlinks a companion and signs the list without it. */
  public void unlink(int deviceId) {
    requirePrimary("unlink other devices");
    if (deviceId == local.deviceId()) {
      throw new ClientException("the primary cannot unlink itself; register the number on a new phone instead");
    }
    ServerConnection server = online();
    org.parley.protocol.wire.SignedDeviceList current =
        server.call(Request.newBuilder().setGetDevices(org.parley.protocol.wire.GetDevices.getDefaultInstance()))
            .getDevices().getDeviceList();
    org.parley.protocol.wire.SignedDeviceList next;
    try {
      long version =
          org.parley.protocol.DeviceListSignatures.verify(
                  current, local.account(), signal.getIdentityKeyPair().getPublicKey())
              .version();
      next = ownList().without(current, deviceId, version + 1);
    } catch (org.parley.protocol.DeviceListException e) {
      throw new ClientException("this account's device list does not verify (" + e.getMessage() + ")", e);
    }
    server.call(
        Request.newBuilder()
            .setUnlinkDevice(
                org.parley.protocol.wire.UnlinkDevice.newBuilder().setDeviceId(deviceId).setDeviceList(next)));
    deviceDirectory().refresh(server, local.account());
  }

  /** On a companion: unlinks this device. */
  public void unlinkSelf() {
    if (local.isPrimary()) {
      throw new ClientException("this is the primary device; it cannot unlink itself");
    }
    online().call(Request.newBuilder().setUnlinkDevice(org.parley.protocol.wire.UnlinkDevice.getDefaultInstance()));
    local.unlinked("unlinked-self", clock.millis());
    abortConnection();
  }

  private void requirePrimary(String what) {
    requireLinked();
    if (!local.isPrimary()) {
      throw new ClientException("only the primary device may " + what + "; run this on the phone that registered");
    }
  }

  /**
   * The safety number of this account and a contact: libsignal's fingerprint over the two
   * accounts' primary identity keys, so it stays the same when companions come and go.
   */
  public String safetyNumber(String phone) {
    String number = PhoneNumbers.normalize(phone);
    DeviceDirectory.Account contact = deviceDirectory().refreshByPhone(online(), number);
    byte[] theirs = contacts.byAccount(contact.id()).map(Contacts.Known::primaryIdentity).orElse(null);
    byte[] mine = contacts.byAccount(local.account()).map(Contacts.Known::primaryIdentity).orElse(null);
    if (theirs == null || mine == null) {
      throw new ClientException(number + " has no verified primary identity yet; try again when its primary is online");
    }
    try {
      return new org.signal.libsignal.protocol.fingerprint.NumericFingerprintGenerator(5200)
          .createFor(
              2,
              uuidBytes(local.account()),
              new org.signal.libsignal.protocol.IdentityKey(mine),
              uuidBytes(contact.id()),
              new org.signal.libsignal.protocol.IdentityKey(theirs))
          .getDisplayableFingerprint()
          .getDisplayText();
    } catch (org.signal.libsignal.protocol.InvalidKeyException e) {
      throw new ClientException("a stored identity key is damaged", e);
    }
  }

  private static byte[] uuidBytes(UUID id) {
    return java.nio.ByteBuffer.allocate(16)
        .putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits())
        .array();
  }

  // ---------------------------------------------------------------- devices

  /** One of the account's devices as the server lists it. */
  public record DeviceView(
      int id, String name, String kind, long linkedAt, long lastSeen, boolean primary, boolean current, long unlinkAt) {}

  /** The account's devices, primary first. */
  public List<DeviceView> devices() {
    org.parley.protocol.wire.Devices devices =
        online()
            .call(Request.newBuilder().setGetDevices(org.parley.protocol.wire.GetDevices.getDefaultInstance()))
            .getDevices();
    List<DeviceView> out = new ArrayList<>();
    for (org.parley.protocol.wire.DeviceInfo info : devices.getDevicesList()) {
      out.add(
          new DeviceView(
              info.getDeviceId(),
              info.getName(),
              info.getKind() == DeviceKind.DEVICE_KIND_UNSPECIFIED ? "phone" : info.getKind().name().toLowerCase(java.util.Locale.ROOT),
              info.getCreatedAt(),
              info.getLastSeen(),
              info.getDeviceId() == 1,
              info.getDeviceId() == local.deviceId(),
              info.getUnlinkAt()));
    }
    return out;
  }

  // ---------------------------------------------------------------- plumbing

  private DeviceDirectory deviceDirectory() {
    return new DeviceDirectory(contacts, clock, e -> events.accept(e));
  }

  private MessageSender sender() {
    return new MessageSender(profile, signal, deviceDirectory(), clock, local.account(), local.deviceId());
  }

  private HistoryHandoff historyHandoff() {
    return new HistoryHandoff(profile, local, clock, config.ssl(), directory.resolve("history"));
  }

  private MessageReceiver receiver(HistoryHandoff handoff) {
    ContentProcessor processor =
        new ContentProcessor(history, contacts, receipts, local.account(), local.phone(), handoff::remember);
    GroupStore groups = new GroupStore(profile, contacts);
    GroupInbox groupInbox =
        new GroupInbox(signal, groups, new GroupRoster(groups, local.account()), history, local.account(), local.phone());
    return new MessageReceiver(
        profile, signal, deviceDirectory(), contacts, history, processor, groupInbox, clock, local.account(), hooks);
  }

  private ServerConnection anonymous(String serverUrl) {
    return ServerConnection.open(ServerConnection.Target.anonymous(serverUrl, config.ssl()), push -> {});
  }

  /** The authenticated connection, opened on first use (without queue delivery). */
  public ServerConnection online() {
    return online(false);
  }

  private synchronized ServerConnection online(boolean deliver) {
    requireLinked();
    if (connection != null && connection.isOpen() && (connectionDelivers || !deliver)) {
      return connection;
    }
    if (connection != null) {
      connection.close();
    }
    connection =
        ServerConnection.open(
            ServerConnection.Target.device(
                local.serverUrl(), local.account().toString(), local.deviceId(), local.credential(), config.ssl(), deliver),
            this::onPush);
    connectionDelivers = deliver;
    if (local.isPrimary() && !listReconciled) {
      // Back online, the primary re-signs the list if companions went away meanwhile. Not a reason
      // to fail what the user asked for: an unlinked primary hears why from the server's push.
      try {
        ownList().reconcile(connection);
        listReconciled = true;
      } catch (ClientException e) {
        if (!"UNLINKED".equals(e.code())) {
          events.accept(new WarningEvent("device-list", "could not publish this account's device list: " + e.getMessage()));
        }
      }
    }
    return connection;
  }

  private void requireLinked() {
    if (!local.isRegistered()) {
      throw new ClientException(
          "NOT_REGISTERED", "this profile is not registered; run 'parley register' or 'parley link' first", null);
    }
    if (local.unlinkedReason() != null) {
      throw new ClientException(
          "UNLINKED",
          "this device was unlinked (" + local.unlinkedReason() + "); link it again with 'parley link'"
              + " or register it with 'parley register'",
          null);
    }
  }

  /**
   * Runs on the socket's reader thread: never block here. What the user should see goes to the
   * receive loop when one runs, else to the event listener.
   */
  private void onPush(Push push) {
    switch (push.getBodyCase()) {
      case ENVELOPE, QUEUE_EMPTY, CONNECTED_ELSEWHERE -> inbox.add(push);
      case PRE_KEYS_LOW -> worker.execute(() -> refill(push.getPreKeysLow()));
      case UNLINKED -> {
        UnlinkedEvent event = recordUnlinked(push);
        if (receiving) {
          inbox.add(push);
        } else {
          events.accept(event);
        }
      }
      case INACTIVITY_WARNING -> {
        if (receiving) {
          inbox.add(push);
        } else {
          events.accept(warning(push));
        }
      }
      default -> {}
    }
  }

  private static WarningEvent warning(Push push) {
    var warning = push.getInactivityWarning();
    boolean primary = warning.getReason() == UnlinkReason.PRIMARY_INACTIVE;
    return new WarningEvent(
        primary ? "primary-inactive" : "companion-inactive",
        "this device will be unlinked at " + java.time.Instant.ofEpochMilli(warning.getUnlinkAt())
            + (primary
                ? " because the primary device has not been online; open Parley on the primary to keep it linked"
                : " because it has not been online; use it to keep it linked"),
        warning.getUnlinkAt());
  }

  private void refill(org.parley.protocol.wire.PreKeysLow low) {
    try {
      int ec = low.getPreKeys() < PreKeys.BATCH ? PreKeys.BATCH - low.getPreKeys() : 0;
      int kyber = low.getKyberPreKeys() < PreKeys.BATCH ? PreKeys.BATCH - low.getKyberPreKeys() : 0;
      var upload = new PreKeys(profile, signal).refill(ec, kyber, clock.millis());
      ServerConnection server = connection;
      if (server != null && server.isOpen()) {
        server.call(Request.newBuilder().setUploadKeys(UploadKeys.newBuilder().setKeys(upload)));
      }
    } catch (RuntimeException e) {
      events.accept(new WarningEvent("pre-keys", "could not upload new pre-keys: " + e.getMessage()));
    }
  }

  private UnlinkedEvent recordUnlinked(Push push) {
    UnlinkedEvent event = unlinked(push);
    local.unlinked(event.reason(), event.at());
    return event;
  }

  private static UnlinkedEvent unlinked(Push push) {
    UnlinkReason reason = push.getUnlinked().getReason();
    String name =
        switch (reason) {
          case REMOVED_BY_PRIMARY -> "removed-by-primary";
          case PRIMARY_INACTIVE -> "primary-inactive";
          case COMPANION_INACTIVE -> "companion-inactive";
          case UNLINKED_SELF -> "unlinked-self";
          case REREGISTERED -> "reregistered";
          default -> "unlinked";
        };
    return new UnlinkedEvent(
        name,
        push.getUnlinked().getAt(),
        "this device was unlinked (" + name + "); link it again with 'parley link'");
  }

  /** Waits for pre-key uploads and other background work, then closes the connection and profile. */
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
    profile.close();
  }
}
