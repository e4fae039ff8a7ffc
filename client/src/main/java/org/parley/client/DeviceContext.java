package org.parley.client;

import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.parley.client.appstate.AppState;
import org.parley.client.appstate.AppStateLog;
import org.parley.client.appstate.Applier;
import org.parley.client.appstate.Names;
import org.parley.client.events.ClientEvent;
import org.parley.client.history.HistoryHandoff;
import org.parley.client.messaging.DeviceDirectory;
import org.parley.client.messaging.EncryptionThreads;
import org.parley.client.messaging.GroupRoster;
import org.parley.client.messaging.MessageSender;
import org.parley.client.messaging.OwnDeviceList;
import org.parley.client.net.Trust;
import org.parley.client.net.ServerConnection;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.Contacts;
import org.parley.client.store.EventLog;
import org.parley.client.store.GroupStore;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.client.store.TrustPolicy;

/**
 * What every part of a device shares: its profile and the stores on it, the clock, how to reach
 * the server, and where to report what the user should see. Builds the short-lived helpers that
 * read the current state (the signed-list directory, the sender).
 */
final class DeviceContext {
  final Path directory;
  final ClientConfig config;
  final Clock clock;
  /** TLS trust for the server: as configured, else as the profile remembers it. */
  final javax.net.ssl.SSLContext ssl;
  final ProfileStore profile;
  final SignalStore signal;
  final LocalDevice local;
  final Contacts contacts;
  final MessageHistory history;
  final EventLog events;
  final AttachmentStore attachments;
  /** Lent to large sends' session set-ups; closed with the device ({@link Device#close}). */
  final EncryptionThreads encryptionThreads = new EncryptionThreads();
  private volatile Consumer<ClientEvent> listener = event -> {};

  DeviceContext(Path directory, ClientConfig config) {
    this.directory = directory;
    this.config = config;
    this.clock = config.clock();
    this.profile = ProfileStore.open(directory);
    this.ssl = trust(config, profile);
    this.signal = new SignalStore(profile, clock);
    this.local = new LocalDevice(profile);
    this.contacts = new Contacts(profile);
    this.history = new MessageHistory(profile);
    this.events = new EventLog(profile, clock);
    this.attachments = new AttachmentStore(profile, directory.resolve(AttachmentStore.DIRECTORY));
    events.naming(event -> names().named(event));
  }

  private static final String TRUSTED_CERTIFICATE = "trusted_certificate";

  /** A certificate given once (at register or link) is remembered for every later command. */
  private static javax.net.ssl.SSLContext trust(ClientConfig config, ProfileStore profile) {
    if (config.trustedCertificate() != null) {
      profile.putSetting(TRUSTED_CERTIFICATE, config.trustedCertificate());
      return config.ssl();
    }
    if (config.ssl() != null) {
      return config.ssl();
    }
    byte[] remembered = profile.setting(TRUSTED_CERTIFICATE);
    return remembered == null ? null : Trust.of(remembered, "the certificate this profile was told to trust");
  }

  void onEvent(Consumer<ClientEvent> listener) {
    this.listener = listener;
  }

  /**
   * Something the user should see, outside the transaction of an envelope (warnings, mostly): logged
   * (unless it is a progress step), then shown to the listener.
   */
  void tell(ClientEvent event) {
    if (!(event instanceof HistorySyncEvent history && history.progress())) {
      events.append(event);
    }
    show(event);
  }

  /** Shows an event that is already logged (or a progress step) to the listener. */
  void show(ClientEvent event) {
    listener.accept(event);
  }

  DeviceDirectory directory() {
    return new DeviceDirectory(contacts, signal, TrustPolicy.of(profile), clock, this::tell);
  }

  MessageSender sender() {
    return new MessageSender(profile, signal, directory(), clock, local.account(), local.deviceId(), encryptionThreads);
  }

  OwnDeviceList ownList() {
    return new OwnDeviceList(
        profile, signal.getIdentityKeyPair(), local.account(), local.name(), local.kind(), clock, this::tell);
  }

  GroupStore groupStore() {
    return new GroupStore(profile, contacts);
  }

  /** This device's verified copy of its groups, kept from signed changes. */
  GroupRoster groupRoster(GroupStore groups) {
    return new GroupRoster(
        profile, groups, directory(), local.account(), local.deviceId(), signal.getIdentityKeyPair().getPublicKey(),
        new GroupLines(history, contacts, local.account(), clock));
  }

  Names names() {
    return new Names(
        new AppStateLog(profile), contacts, groupStore(), local.account());
  }

  /** Applies app-state mutations (docs/PROTOCOL.md §13), made here or received. */
  Applier appStateApplier() {
    return new Applier(
        new AppStateLog(profile), names(), history, local.account());
  }

  AppState appState(Supplier<ServerConnection> server) {
    var log = new AppStateLog(profile);
    return new AppState(
        profile, local, contacts, groupStore(), log, appStateApplier(), names(), events, clock, server, this::sender,
        this::directory);
  }

  HistoryHandoff historyHandoff() {
    return new HistoryHandoff(profile, local, clock, ssl, directory.resolve("history"), events);
  }

  ServerConnection anonymous(String serverUrl) {
    return ServerConnection.open(ServerConnection.Target.anonymous(serverUrl, ssl), push -> {});
  }

  void requireLinked() {
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

  void requirePrimary(String what) {
    requireLinked();
    if (!local.isPrimary()) {
      throw new ClientException(
          "NOT_PRIMARY", "only the primary device may " + what + "; run this on the phone that registered", null);
    }
  }
}
