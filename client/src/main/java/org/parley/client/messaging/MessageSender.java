package org.parley.client.messaging;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
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
  /** The first try plus one retry after a mismatch, as the protocol expects. */
  private static final int ATTEMPTS = 2;

  private final ProfileStore profile;
  private final SignalStore signal;
  private final DeviceDirectory directory;
  private final Clock clock;
  private final UUID ownAccount;
  private final int ownDevice;
  private final PairwiseEncryption encryption;

  /** {@code threads}: the device's, for the session set-ups of large sends (its owner closes them). */
  public MessageSender(
      ProfileStore profile, SignalStore signal, DeviceDirectory directory, Clock clock, UUID ownAccount, int ownDevice,
      EncryptionThreads threads) {
    this.profile = profile;
    this.signal = signal;
    this.directory = directory;
    this.clock = clock;
    this.ownAccount = ownAccount;
    this.ownDevice = ownDevice;
    this.encryption = new PairwiseEncryption(profile, signal, directory, clock, threads);
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
      List<Account> targets = targets(server, parts);
      SendMessage request =
          encrypt(parts, targets, BundleFetch.start(server, signal, targets, ownAccount, ownDevice).collect(), timestamp, noSync);
      if (request.getMessagesCount() == 0) {
        // Nobody to encrypt to (an account with only unvouched devices, no other own devices).
        return result(targets, request, null);
      }
      try {
        return result(targets, request, server.call(Request.newBuilder().setSendMessage(request)));
      } catch (ServerException e) {
        if (e.status() != Status.MISMATCHED_DEVICES && e.status() != Status.STALE_DEVICES) {
          throw e;
        }
        last = e;
        forgetMismatched(server, e);
      }
    }
    throw new ClientException(
        "MISMATCHED_DEVICES",
        "the recipient's devices changed while sending and did not settle; try again ("
            + last.getMessage() + ")",
        last);
  }

  /** Parts for one request, and whether it leaves out this account's other devices (see {@link #send}). */
  public record Batch(List<Part> parts, boolean noSync) {}

  /**
   * Sends several requests' worth of parts (a sender key handed to a large group) with this device's
   * work and the server's overlapping: the pre-key bundles of the next batch are asked for while this
   * device starts the sessions of the current one (one batch ahead, no more), and each batch goes out
   * as soon as it is encrypted, without waiting for the answer to the one before. A batch refused for
   * out-of-date devices is sent again on its own ({@link #send}). {@code sent} hears of every batch
   * stored; the first other refusal is thrown once every answer is in. Bundles cost key-fetch tokens
   * (the server's {@code key-fetches} rate): a first handover to more devices than its burst is refused
   * RATE_LIMITED part way; the batches stored are recorded, so the next send goes on from there.
   */
  public void sendAll(ServerConnection server, List<Batch> batches, long timestamp, Consumer<Result> sent) {
    if (batches.isEmpty()) {
      return;
    }
    List<List<Account>> targets = new ArrayList<>(batches.size());
    for (Batch batch : batches) {
      targets.add(targets(server, batch.parts()));
    }
    List<SendMessage> requests = new ArrayList<>(batches.size());
    List<CompletableFuture<Response>> answers = new ArrayList<>(batches.size());
    RuntimeException failure = null;
    try {
      BundleFetch next = BundleFetch.start(server, signal, targets.getFirst(), ownAccount, ownDevice);
      for (int i = 0; i < batches.size(); i++) {
        Batch batch = batches.get(i);
        BundleFetch current = next;
        // One batch ahead, no more: a batch that fails spends at most the next one's one-time pre-keys and
        // key-fetch tokens, not those of every batch after it.
        next = i + 1 < batches.size() ? BundleFetch.start(server, signal, targets.get(i + 1), ownAccount, ownDevice) : null;
        SendMessage request = encrypt(batch.parts(), targets.get(i), current.collect(), timestamp, batch.noSync());
        requests.add(request);
        answers.add(request.getMessagesCount() == 0 ? null : server.request(Request.newBuilder().setSendMessage(request)));
      }
    } catch (RuntimeException e) {
      failure = e; // the batches already sent are still heard of
    }
    for (int i = 0; i < answers.size(); i++) {
      try {
        Response response = answers.get(i) == null ? null : ServerConnection.await(answers.get(i));
        sent.accept(result(targets.get(i), requests.get(i), response));
      } catch (ServerException e) {
        if (e.status() != Status.MISMATCHED_DEVICES && e.status() != Status.STALE_DEVICES) {
          failure = failure == null ? e : failure;
          continue;
        }
        try {
          forgetMismatched(server, e);
          sent.accept(send(server, batches.get(i).parts(), timestamp, batches.get(i).noSync()));
        } catch (RuntimeException again) {
          failure = failure == null ? again : failure;
        }
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private List<Account> targets(ServerConnection server, List<Part> parts) {
    List<Account> targets = new ArrayList<>(parts.size());
    for (Part part : parts) {
      Account target = target(server, part.account());
      if (target.held()) {
        throw held(target.phone());
      }
      targets.add(target);
    }
    return targets;
  }

  /** What a request did: {@code response} is {@code null} when it had no envelope and was not sent. */
  private Result result(List<Account> targets, SendMessage request, Response response) {
    List<String> declined = new ArrayList<>();
    List<UUID> unreachable = new ArrayList<>();
    for (Account target : targets) {
      target.declined().forEach(d -> declined.add(target.phone() + " device " + d.deviceId()));
      if (!target.id().equals(ownAccount) && target.trusted().isEmpty()) {
        unreachable.add(target.id());
      }
    }
    if (response == null) {
      return new Result(0, 0, declined, unreachable, List.of());
    }
    List<Reached> reached = new ArrayList<>(request.getMessagesCount());
    for (OutgoingMessage message : request.getMessagesList()) {
      reached.add(
          new Reached(
              UUID.fromString(message.getDestinationAccount()),
              message.getDestinationDevice(),
              message.getDestinationRegistrationId()));
    }
    return new Result(
        response.getSent().getServerTimestamp(), response.getSent().getEnvelopes(), declined, unreachable, reached);
  }

  /** The server knows other devices than this device did: their sessions go, the accounts are verified again. */
  private void forgetMismatched(ServerConnection server, ServerException e) {
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
        for (DeviceKeys bundle : BundleFetch.start(server, account, Map.of(deviceId, device), List.of(deviceId)).collect().values()) {
          PairwiseEncryption.startSession(signal, address, bundle, clock);
        }
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

  /** Nothing goes to an account whose new identity waits for the user (docs/PROTOCOL.md §5). */
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

  /**
   * Starts the sessions the targets lack from fetched bundles and encrypts each part to every trusted
   * device of its account (on several threads when there are many); a device without a session
   * afterwards is declined.
   */
  private SendMessage encrypt(
      List<Part> parts, List<Account> targets, Map<BundleFetch.DeviceAt, DeviceKeys> bundles, long timestamp,
      boolean noSync) {
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
        DeviceKeys bundle = bundles.get(new BundleFetch.DeviceAt(target.id().toString(), device.deviceId()));
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
