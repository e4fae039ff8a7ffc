package org.parley.client.messaging;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.messaging.DeviceDirectory.Account;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.Contacts.KnownDevice;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.AccountMismatch;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DeviceKeys;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.GetKeysBatch;
import org.parley.protocol.wire.Keys;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.signal.libsignal.protocol.SignalProtocolAddress;

/**
 * Encrypts one piece of content per device and submits every envelope of a message in one request
 * (docs/PROTOCOL.md §7). Device lists are cached; when the server answers that they are out of date
 * (mismatched or stale devices) the affected accounts are refreshed and the send is tried again.
 */
public final class MessageSender {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MessageSender.class);
  /** The first try plus one retry after a mismatch, as the protocol expects. */
  private static final int ATTEMPTS = 2;

  private final ProfileStore profile;
  private final SignalStore signal;
  private final DeviceDirectory directory;
  private final Clock clock;
  private final UUID ownAccount;
  private final int ownDevice;
  private final PairwiseEncryption encryption;

  public MessageSender(
      ProfileStore profile, SignalStore signal, DeviceDirectory directory, Clock clock, UUID ownAccount, int ownDevice) {
    this.profile = profile;
    this.signal = signal;
    this.directory = directory;
    this.clock = clock;
    this.ownAccount = ownAccount;
    this.ownDevice = ownDevice;
    this.encryption = new PairwiseEncryption(profile, signal, directory, clock);
  }

  /** What to send to one account: its devices all get the same content. */
  public record Part(UUID account, Content content) {}

  /**
   * The outcome: the server's time of storing, devices that got nothing because unvouched, the
   * (other) accounts none of whose devices could be reached, and the devices that were.
   */
  public record Result(
      long serverTimestamp, int envelopes, List<String> declined, List<UUID> unreachable, List<Reached> reached) {}

  /** A device the content was encrypted to, under the registration id its session holds. */
  public record Reached(UUID account, int deviceId, int registrationId) {}

  /**
   * Sends {@code parts} (one per account) in one request.
   *
   * @param noSync leave out the sender's own other devices (receipts), unless a part names them
   */
  public Result send(ServerConnection server, List<Part> parts, long timestamp, boolean noSync) {
    ServerException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      List<Account> targets = new ArrayList<>();
      for (Part part : parts) {
        Account target = target(server, part.account());
        if (target.held()) {
          throw held(target.phone());
        }
        targets.add(target);
      }
      SendMessage request = encrypt(server, parts, targets, timestamp, noSync);
      List<String> declined = new ArrayList<>();
      List<UUID> unreachable = new ArrayList<>();
      for (Account target : targets) {
        target.declined().forEach(d -> declined.add(target.phone() + " device " + d.deviceId()));
        if (!target.id().equals(ownAccount) && target.trusted().isEmpty()) {
          unreachable.add(target.id());
        }
      }
      if (request.getMessagesCount() == 0) {
        // Nobody to encrypt to (an account with only unvouched devices, no other own devices).
        return new Result(0, 0, declined, unreachable, List.of());
      }
      try {
        Response response = server.call(Request.newBuilder().setSendMessage(request));
        List<Reached> reached = new ArrayList<>(request.getMessagesCount());
        for (OutgoingMessage message : request.getMessagesList()) {
          reached.add(
              new Reached(
                  UUID.fromString(message.getDestinationAccount()),
                  message.getDestinationDevice(),
                  message.getDestinationRegistrationId()));
        }
        return new Result(
            response.getSent().getServerTimestamp(), response.getSent().getEnvelopes(), declined, unreachable,
            reached);
      } catch (ServerException e) {
        if (e.status() != Status.MISMATCHED_DEVICES && e.status() != Status.STALE_DEVICES) {
          throw e;
        }
        last = e;
        for (AccountMismatch mismatch : e.response().getMismatch().getAccountsList()) {
          UUID account = UUID.fromString(mismatch.getAccountId());
          for (int stale : mismatch.getStaleList()) {
            signal.deleteSession(new SignalProtocolAddress(account.toString(), stale));
          }
          for (int extra : mismatch.getExtraList()) {
            signal.deleteSession(new SignalProtocolAddress(account.toString(), extra));
          }
          directory.refresh(server, account);
        }
      }
    }
    throw new ClientException(
        "MISMATCHED_DEVICES",
        "the recipient's devices changed while sending and did not settle; try again ("
            + last.getMessage() + ")",
        last);
  }

  /**
   * Sends one content to one device only (a retry request, or a message sent again to the device that
   * asked for it), under {@code timestamp}. The device must be on its account's verified list: it is
   * encrypted to the identity key the list vouches for, never to any other.
   */
  public void sendToDevice(ServerConnection server, UUID account, int deviceId, Content content, long timestamp) {
    ServerException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Account target = target(server, account);
      if (target.held()) {
        throw held(target.phone());
      }
      KnownDevice device =
          target.trusted().stream().filter(d -> d.deviceId() == deviceId).findFirst()
              .orElseThrow(() -> new ClientException(
                  "UNTRUSTED",
                  "device " + deviceId + " of " + target.phone() + " is not vouched for by its primary's signed device"
                      + " list; nothing is sent to it",
                  null));
      SignalProtocolAddress address = address(account, deviceId);
      if (!signal.containsSession(address)) {
        startSessions(server, account, Map.of(deviceId, device), List.of(deviceId));
      }
      if (!signal.containsSession(address)) {
        throw new ClientException("no session could be started with " + target.phone() + " device " + deviceId, null);
      }
      byte[] padded = Padding.pad(content.toByteArray());
      OutgoingMessage message = profile.transaction(c -> PairwiseEncryption.encryptOne(signal, address, padded, clock));
      SendMessage request =
          SendMessage.newBuilder().setTimestamp(timestamp).setNoSync(true).setSingleDevice(true).addMessages(message)
              .build();
      try {
        server.call(Request.newBuilder().setSendMessage(request));
        return;
      } catch (ServerException e) {
        if (e.status() != Status.MISMATCHED_DEVICES && e.status() != Status.STALE_DEVICES) {
          throw e;
        }
        last = e;
        signal.deleteSession(address);
        directory.refresh(server, account);
      }
    }
    throw new ClientException("the device changed while sending to it; try again (" + last.getMessage() + ")", last);
  }

  /** Nothing goes to an account whose new identity waits for the user (docs/PROTOCOL.md §5). */
  /** Refusals that are about the server or this device, not about the one target asked. */
  private static final java.util.Set<String> SERVER_WIDE =
      java.util.Set.of(
          ServerConnection.UNREACHABLE, Status.RATE_LIMITED.name(), Status.UNAVAILABLE.name(), Status.DRAINING.name(),
          Status.INTERNAL.name(), Status.UNAUTHENTICATED.name(), Status.UNLINKED.name());

  /**
   * Whether a failed {@link #sendToDevice} means later sends on this connection would fail too (it
   * is closed, or the server refuses this device or everything now), so a round of them should stop;
   * otherwise the failure is about that one target (not vouched for, identity held, no keys, its
   * queue full) and the round goes on with the next.
   */
  public static boolean stopsTheRound(ServerConnection server, ClientException e) {
    return stopsTheRound(server.isOpen(), e);
  }

  static boolean stopsTheRound(boolean connectionOpen, ClientException e) {
    return !connectionOpen || (e.code() != null && SERVER_WIDE.contains(e.code()));
  }

  public static ClientException held(String phone) {
    return new ClientException(
        "IDENTITY_HELD",
        "not sent: the safety number with " + phone + " changed (the number was registered again) and is held until"
            + " you accept it; compare it with 'parley safety-number " + phone + "', then run 'parley trust " + phone
            + " --verified SAFETY_NUMBER' (or 'parley trust " + phone + "' to accept it unverified)",
        null);
  }

  private Account target(ServerConnection server, UUID account) {
    return directory.cached(account).orElseGet(() -> directory.refresh(server, account));
  }

  /** Accounts per batch fetch of pre-key bundles (the server takes up to 1,000). */
  private static final int FETCHES_PER_REQUEST = 250;

  /** An account's trusted devices without a session yet. */
  private record Missing(UUID account, Map<Integer, KnownDevice> byId, List<Integer> deviceIds) {
    GetKeys request() {
      return GetKeys.newBuilder().setAccountId(account.toString()).addAllDeviceIds(deviceIds).build();
    }
  }

  /** A device of an account. */
  private record DeviceAt(String account, int deviceId) {}

  /**
   * Fetches pre-key bundles for the trusted devices that have no session yet; only bundles with the
   * identity their primary vouched for are kept. Many accounts at once (a sender key handed to a
   * large group) go in batch fetches, each answered by the server in one commit.
   */
  private Map<DeviceAt, DeviceKeys> fetchMissing(ServerConnection server, List<Account> targets) {
    List<Missing> missing = new ArrayList<>();
    for (Account target : targets) {
      List<Integer> ids = new ArrayList<>();
      Map<Integer, KnownDevice> byId = new HashMap<>();
      for (KnownDevice device : target.trusted()) {
        if (target.id().equals(ownAccount) && device.deviceId() == ownDevice) {
          continue;
        }
        byId.put(device.deviceId(), device);
        if (!signal.containsSession(address(target.id(), device.deviceId()))) {
          ids.add(device.deviceId());
        }
      }
      if (!ids.isEmpty()) {
        missing.add(new Missing(target.id(), byId, ids));
      }
    }
    Map<DeviceAt, DeviceKeys> bundles = new HashMap<>();
    for (int from = 0; from < missing.size(); from += FETCHES_PER_REQUEST) {
      List<Missing> chunk = missing.subList(from, Math.min(missing.size(), from + FETCHES_PER_REQUEST));
      // Matched by account, not by position: the answer is the server's to order.
      Map<String, Keys> fetched = new HashMap<>();
      for (Keys keys : fetch(server, chunk)) {
        fetched.putIfAbsent(keys.getAccountId(), keys);
      }
      for (Missing one : chunk) {
        Keys keys = fetched.get(one.account().toString());
        if (keys == null) {
          continue; // no answer for it: its devices have no session and are reported as usual
        }
        for (DeviceKeys bundle : vouched(one, keys)) {
          bundles.putIfAbsent(new DeviceAt(one.account().toString(), bundle.getDeviceId()), bundle);
        }
      }
    }
    return bundles;
  }

  /** Fetches the bundles of {@code missing} devices and starts sessions with those whose identity is vouched. */
  private void startSessions(ServerConnection server, UUID account, Map<Integer, KnownDevice> byId, List<Integer> missing) {
    Missing one = new Missing(account, byId, missing);
    startSessions(one, fetch(server, List.of(one)).getFirst());
  }

  private static List<Keys> fetch(ServerConnection server, List<Missing> chunk) {
    if (chunk.size() > 1) {
      GetKeysBatch.Builder batch = GetKeysBatch.newBuilder();
      chunk.forEach(m -> batch.addTargets(m.request()));
      try {
        List<Keys> keys = server.call(Request.newBuilder().setGetKeysBatch(batch)).getKeysBatch().getKeysList();
        if (keys.size() == chunk.size()) {
          return keys;
        }
      } catch (ServerException e) {
        if (e.status() != Status.BAD_REQUEST) {
          throw e;
        }
        // A server without batch fetches: one request per account, as before.
      }
    }
    List<Keys> keys = new ArrayList<>(chunk.size());
    for (Missing m : chunk) {
      keys.add(server.call(Request.newBuilder().setGetKeys(m.request())).getKeys());
    }
    return keys;
  }

  private void startSessions(Missing missing, Keys keys) {
    for (DeviceKeys bundle : vouched(missing, keys)) {
      PairwiseEncryption.startSession(signal, address(missing.account(), bundle.getDeviceId()), bundle, clock);
    }
  }

  /** The bundles of {@code keys} that are for {@code missing}'s account and carry the identity its primary vouched for. */
  private static List<DeviceKeys> vouched(Missing missing, Keys keys) {
    if (!keys.getAccountId().equals(missing.account().toString())) {
      return List.of(); // an answer for another account: never start a session from it
    }
    List<DeviceKeys> out = new ArrayList<>();
    for (DeviceKeys bundle : keys.getDevicesList()) {
      KnownDevice known = missing.byId().get(bundle.getDeviceId());
      if (known == null || !java.util.Arrays.equals(known.identityKey(), bundle.getIdentityKey().toByteArray())) {
        // The bundle's identity is not the one the primary vouched for: never start a session.
        continue;
      }
      out.add(bundle);
    }
    return out;
  }

  /**
   * Starts the sessions the targets lack from fetched bundles and encrypts each part to every trusted
   * device of its account (on several threads when there are many); a device without a session
   * afterwards is declined.
   */
  private SendMessage encrypt(
      ServerConnection server, List<Part> parts, List<Account> targets, long timestamp, boolean noSync) {
    Map<DeviceAt, DeviceKeys> bundles = fetchMissing(server, targets);
    List<List<PairwiseEncryption.Job>> jobs = new ArrayList<>(parts.size());
    List<PairwiseEncryption.Job> all = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      Account target = targets.get(i);
      byte[] padded = Padding.pad(parts.get(i).content().toByteArray());
      List<PairwiseEncryption.Job> part = new ArrayList<>();
      for (KnownDevice device : target.trusted()) {
        if (target.id().equals(ownAccount) && device.deviceId() == ownDevice) {
          continue;
        }
        DeviceKeys bundle = bundles.get(new DeviceAt(target.id().toString(), device.deviceId()));
        part.add(new PairwiseEncryption.Job(address(target.id(), device.deviceId()), bundle, padded));
      }
      jobs.add(part);
      all.addAll(part);
    }
    encryption.run(all);
    SendMessage.Builder request =
        SendMessage.newBuilder().setTimestamp(timestamp).setNoSync(noSync).addAllAttachmentBlobIds(blobIds(parts));
    for (int i = 0; i < parts.size(); i++) {
      Account target = targets.get(i);
      for (PairwiseEncryption.Job job : jobs.get(i)) {
        if (job.message() != null) {
          request.addMessages(job.message());
        } else {
          request.addDeclined(ref(target.id(), job.address.getDeviceId()));
        }
      }
      for (KnownDevice device : target.declined()) {
        request.addDeclined(ref(target.id(), device.deviceId()));
      }
    }
    return request.build();
  }

  /**
   * The attachment blobs the content points to (a message, or its transcript to own devices): the
   * server lets the devices addressed fetch them (docs/PROTOCOL.md §14).
   */
  static java.util.Set<String> blobIds(List<Part> parts) {
    java.util.Set<String> ids = new java.util.LinkedHashSet<>();
    for (Part part : parts) {
      Content content = part.content();
      if (content.hasData()) {
        content.getData().getAttachmentsList().forEach(a -> ids.add(a.getBlobId()));
      }
      if (content.hasSync() && content.getSync().hasSent()) {
        content.getSync().getSent().getMessage().getAttachmentsList().forEach(a -> ids.add(a.getBlobId()));
      }
    }
    return ids;
  }

  private static DeviceRef ref(UUID account, int device) {
    return DeviceRef.newBuilder().setAccountId(account.toString()).setDeviceId(device).build();
  }

  static SignalProtocolAddress address(UUID account, int device) {
    return new SignalProtocolAddress(account.toString(), device);
  }
}
