package org.parley.server.messages;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.parley.protocol.wire.AccountMismatch;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Sent;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.blobs.BlobService;
import org.parley.server.limits.Throttle;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.Queues;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;

/**
 * Accepts a message: one request carries the envelopes for every device of the recipient and every
 * other device of the sender. They are checked for exact coverage and committed durably together;
 * only then is the sender told "sent". Devices connected here with nothing else waiting get their
 * envelope at once, before the commit: one acked first is never written, so "sent" means every
 * envelope is on disk or already in its device's own store.
 */
public final class MessageService {
  private final Accounts accounts;
  private final Queues queues;
  private final Presence presence;
  private final Clock clock;
  private final Limits limits;
  private final BlobService blobs;
  private final Throttle throttle;

  public MessageService(
      Accounts accounts, Queues queues, Presence presence, Clock clock, Limits limits, BlobService blobs, Throttle throttle) {
    this.accounts = accounts;
    this.throttle = throttle;
    this.queues = queues;
    this.presence = presence;
    this.clock = clock;
    this.limits = limits;
    this.blobs = blobs;
  }

  public void routes(RequestRouter router) {
    router.on(
        Request.BodyCase.SEND_MESSAGE, Access.DEVICE, (s, r) -> nonBlocking(s, r.getSendMessage()), (s, r) -> send(s, r.getSendMessage()));
  }

  /**
   * Whether {@link #send} will not wait for the store or the network: no attachments to grant, the
   * limits counted in this process, and every device list and queue count it reads in memory. The
   * usual send to a known contact passes; a change of devices between this test and the send costs
   * one read on the event loop.
   */
  boolean nonBlocking(Session session, SendMessage send) {
    if (send.getSingleDevice() || send.getAttachmentBlobIdsCount() > 0 || !throttle.inMemory()
        || !accounts.routingCached(session.address().account())) {
      return false;
    }
    try {
      for (OutgoingMessage message : send.getMessagesList()) {
        UUID account = UUID.fromString(message.getDestinationAccount());
        if (!accounts.routingCached(account)
            || !queues.countsKnown(new DeviceAddress(account, message.getDestinationDevice()))) {
          return false;
        }
      }
      for (DeviceRef declined : send.getDeclinedList()) {
        if (!accounts.routingCached(UUID.fromString(declined.getAccountId()))) {
          return false;
        }
      }
    } catch (IllegalArgumentException notAnAccount) {
      return false; // refused by send, on a request thread like any other
    }
    return true;
  }

  CompletableFuture<Response.Builder> send(Session session, SendMessage send) throws ApiException {
    List<OutgoingMessage> messages = send.getMessagesList();
    if (messages.isEmpty()) {
      throw new ApiException(Status.BAD_REQUEST, "a send needs at least one envelope");
    }
    if (messages.size() > limits.maxEnvelopesPerRequest()) {
      throw new ApiException(
          Status.TOO_LARGE, "at most " + limits.maxEnvelopesPerRequest() + " envelopes per send");
    }
    Map<UUID, Map<Integer, Integer>> addressed = new LinkedHashMap<>();
    long bytes = 0;
    for (OutgoingMessage message : messages) {
      if (message.getContent().size() > limits.maxEnvelopeBytes()) {
        throw new ApiException(
            Status.TOO_LARGE, "an envelope may carry at most " + limits.maxEnvelopeBytes() + " bytes");
      }
      checkType(message);
      bytes += message.getContent().size();
      UUID account = accountId(message.getDestinationAccount());
      Integer previous =
          addressed
              .computeIfAbsent(account, a -> new HashMap<>())
              .put(message.getDestinationDevice(), message.getDestinationRegistrationId());
      if (previous != null) {
        throw new ApiException(
            Status.BAD_REQUEST, "device " + message.getDestinationDevice() + " is addressed twice");
      }
    }
    Map<UUID, Set<Integer>> declined = new HashMap<>();
    for (DeviceRef ref : send.getDeclinedList()) {
      declined.computeIfAbsent(accountId(ref.getAccountId()), a -> new HashSet<>()).add(ref.getDeviceId());
    }
    DeviceAddress sender = session.address();
    String senderAccount = sender.account().toString();
    throttle.take(limits.rates().messages(), senderAccount, "messages sent");
    throttle.take(limits.rates().messageBytes(), senderAccount, bytes, "bytes sent");
    // The sender's other devices must always be covered, so every own device shows what was sent.
    if (!send.getNoSync()) {
      addressed.computeIfAbsent(sender.account(), a -> new HashMap<>());
    }
    if (send.getSingleDevice()) {
      checkSingleDevice(sender, messages, declined);
    } else {
      declined.keySet().forEach(account -> addressed.computeIfAbsent(account, a -> new HashMap<>()));
      checkCoverage(sender, addressed, declined);
    }

    long now = clock.millis();
    EnvelopeEncoder encoder =
        new EnvelopeEncoder(sender.account().toString(), session.phone(), sender.device(), send.getTimestamp(), now);
    List<NewEnvelope> envelopes = new ArrayList<>(messages.size());
    for (OutgoingMessage message : messages) {
      DeviceAddress destination =
          new DeviceAddress(UUID.fromString(message.getDestinationAccount()), message.getDestinationDevice());
      if (queues.length(destination) >= limits.maxQueueLength()
          || queues.bytes(destination) + message.getContent().size() > limits.maxQueueBytes()) {
        throw org.parley.server.limits.Throttle.refusal(
            Status.QUEUE_FULL,
            "device " + message.getDestinationDevice() + " of that account has "
                + queues.length(destination) + " messages waiting; it must come online first (a device holds"
                + " at most " + limits.maxQueueLength() + " messages or " + (limits.maxQueueBytes() >> 20) + " MiB)",
            org.parley.server.limits.Throttle.UNTIL_OTHERS_ACT);
      }
      byte[] guid = guid();
      envelopes.add(
          new NewEnvelope(
              destination,
              guid,
              now,
              encoder.encode(guid, destination.device(), message.getTypeValue(), message.getContent())));
    }
    blobs.grant(sender, send.getAttachmentBlobIdsList(), envelopes.stream().map(NewEnvelope::destination).toList());
    // Connected devices get their envelopes now, not after the fsync: one acked before the writer
    // reaches it is never written (WriteClaim). "Sent" still waits for the commit.
    presence.deliverEarly(envelopes);
    return queues
        .append(envelopes)
        .whenComplete((stored, failure) -> {
          if (failure != null) {
            presence.abandon(envelopes);
          }
        })
        .thenApply(
            stored -> {
              presence.deliver(stored);
              return Response.newBuilder()
                  .setSent(Sent.newBuilder().setServerTimestamp(now).setEnvelopes(envelopes.size()));
            });
  }

  /**
   * A retry request, or a message sent again to the one device that asked for it: exactly one
   * envelope, to a current device under its current registration id. No other device is owed it.
   */
  private void checkSingleDevice(DeviceAddress sender, List<OutgoingMessage> messages, Map<UUID, Set<Integer>> declined)
      throws ApiException {
    if (messages.size() != 1 || !declined.isEmpty()) {
      throw new ApiException(Status.BAD_REQUEST, "a single-device send carries exactly one envelope and declines none");
    }
    OutgoingMessage message = messages.get(0);
    UUID account = accountId(message.getDestinationAccount());
    if (account.equals(sender.account()) && message.getDestinationDevice() == sender.device()) {
      throw new ApiException(Status.BAD_REQUEST, "a device does not send to itself");
    }
    List<DeviceRecord> current = accounts.devices(account);
    if (current.isEmpty()) {
      throw new ApiException(Status.NOT_FOUND, "no account " + account);
    }
    DeviceRecord device =
        current.stream().filter(d -> d.deviceId() == message.getDestinationDevice()).findFirst().orElse(null);
    if (device == null) {
      throw Coverage.refusal(List.of(AccountMismatch.newBuilder()
          .setAccountId(account.toString()).addExtra(message.getDestinationDevice()).build()));
    }
    if (device.registrationId() != message.getDestinationRegistrationId()) {
      throw Coverage.refusal(List.of(AccountMismatch.newBuilder()
          .setAccountId(account.toString()).addStale(message.getDestinationDevice()).build()));
    }
  }

  private void checkCoverage(
      DeviceAddress sender, Map<UUID, Map<Integer, Integer>> addressed, Map<UUID, Set<Integer>> declined)
      throws ApiException {
    List<AccountMismatch> mismatches = new ArrayList<>();
    for (var entry : addressed.entrySet()) {
      UUID account = entry.getKey();
      List<DeviceRecord> current = new ArrayList<>(accounts.routingDevices(account));
      if (current.isEmpty()) {
        throw new ApiException(Status.NOT_FOUND, "no account " + account);
      }
      if (account.equals(sender.account())) {
        current.removeIf(d -> d.deviceId() == sender.device());
      }
      AccountMismatch mismatch =
          Coverage.check(account.toString(), current, entry.getValue(), declined.getOrDefault(account, Set.of()));
      if (mismatch != null) {
        mismatches.add(mismatch);
      }
    }
    if (!mismatches.isEmpty()) {
      throw Coverage.refusal(mismatches);
    }
  }

  /**
   * A device sends only what its Signal sessions produce. SENDER_KEY envelopes are written by the
   * group service and SERVER ones by the server itself: from a client, such a type would forge a
   * group message or a server notice, and an unknown number is nothing any client can read.
   */
  static void checkType(OutgoingMessage message) throws ApiException {
    switch (message.getTypeValue()) {
      case CiphertextType.PREKEY_VALUE, CiphertextType.WHISPER_VALUE -> {}
      default ->
          throw new ApiException(
              Status.BAD_REQUEST,
              "an envelope's type must be PREKEY or WHISPER, not " + typeName(message.getTypeValue())
                  + " (group messages go through SendGroupMessage; SERVER envelopes are written by the server only)");
    }
  }

  private static String typeName(int value) {
    CiphertextType type = CiphertextType.forNumber(value);
    return type == null ? "unknown type " + value : type.name();
  }

  static UUID accountId(String text) throws ApiException {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new ApiException(Status.BAD_REQUEST, "'" + text + "' is not an account id");
    }
  }

  private static byte[] guid() {
    byte[] guid = new byte[16];
    ThreadLocalRandom.current().nextBytes(guid);
    return guid;
  }
}
