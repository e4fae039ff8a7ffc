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
import org.parley.protocol.wire.AccountMismatch;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.GroupRecipient;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendGroupMessage;
import org.parley.protocol.wire.Sent;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.blobs.BlobService;
import org.parley.server.limits.Throttle;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.GroupRecord;
import org.parley.server.store.Groups;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;

/**
 * Fans one sender-key ciphertext out to every device of every member of a group (DESIGN.md §9). The
 * sender names the devices it gave its sender key to; as for a 1:1 send (§5) they must cover the
 * members' current devices exactly (the sender's other devices included), or the send is refused
 * with the missing, extra and stale devices so that the sender can refresh, hand its key to new
 * devices (or rotate it) and try again.
 */
public final class GroupMessageService {
  private final Groups groups;
  private final GroupFanout fanout;
  private final Clock clock;
  private final Limits limits;
  private final BlobService blobs;
  private final Throttle throttle;

  public GroupMessageService(Groups groups, GroupFanout fanout, Clock clock, Limits limits, BlobService blobs, Throttle throttle) {
    this.groups = groups;
    this.throttle = throttle;
    this.fanout = fanout;
    this.clock = clock;
    this.limits = limits;
    this.blobs = blobs;
  }

  public void routes(RequestRouter router) {
    router.on(Request.BodyCase.SEND_GROUP_MESSAGE, Access.DEVICE, (s, r) -> send(s, r.getSendGroupMessage()));
  }

  CompletableFuture<Response.Builder> send(Session session, SendGroupMessage send) throws ApiException {
    if (send.getContent().isEmpty()) {
      throw new ApiException(Status.BAD_REQUEST, "a group message needs its sender-key ciphertext");
    }
    if (send.getContent().size() > limits.maxEnvelopeBytes()) {
      throw new ApiException(
          Status.TOO_LARGE, "a group message may carry at most " + limits.maxEnvelopeBytes() + " bytes");
    }
    UUID groupId = groupId(send.getGroupId());
    GroupRecord group =
        groups.byId(groupId).orElseThrow(() -> new ApiException(Status.NOT_FOUND, "there is no group " + groupId));
    DeviceAddress sender = session.address();
    if (!group.isMember(sender.account())) {
      throw new ApiException(
          Status.FORBIDDEN, "you are not a member of group " + groupId + "; only its members may post to it");
    }
    Map<UUID, Map<Integer, Integer>> addressed = new LinkedHashMap<>();
    for (GroupRecipient recipient : send.getRecipientsList()) {
      UUID account = MessageService.accountId(recipient.getAccountId());
      if (addressed.computeIfAbsent(account, a -> new HashMap<>())
              .put(recipient.getDeviceId(), recipient.getRegistrationId())
          != null) {
        throw new ApiException(Status.BAD_REQUEST, "device " + recipient.getDeviceId() + " is addressed twice");
      }
    }
    Map<UUID, Set<Integer>> declined = new HashMap<>();
    for (DeviceRef ref : send.getDeclinedList()) {
      declined.computeIfAbsent(MessageService.accountId(ref.getAccountId()), a -> new HashSet<>()).add(ref.getDeviceId());
    }
    checkCoverage(group, sender, addressed, declined);
    String account = sender.account().toString();
    throttle.take(limits.rates().messages(), account, "messages sent");
    // Every copy is stored: a group message costs its size times the devices it goes to.
    throttle.take(
        limits.rates().messageBytes(), account, (long) send.getContent().size() * send.getRecipientsCount(), "bytes sent");

    long now = clock.millis();
    Envelope prototype =
        Envelope.newBuilder()
            .setSourceAccount(sender.account().toString())
            .setSourcePhone(session.phone())
            .setSourceDevice(sender.device())
            .setType(CiphertextType.SENDER_KEY)
            .setClientTimestamp(send.getTimestamp())
            .setServerTimestamp(now)
            .setContent(send.getContent())
            .setGroupId(groupId.toString())
            .build();
    List<DeviceAddress> destinations = new ArrayList<>(send.getRecipientsCount());
    for (GroupRecipient recipient : send.getRecipientsList()) {
      destinations.add(new DeviceAddress(UUID.fromString(recipient.getAccountId()), recipient.getDeviceId()));
    }
    // One upload serves the whole group: every member device the message goes to may fetch it.
    blobs.grant(sender, send.getAttachmentBlobIdsList(), destinations);
    return fanout
        .commit(fanout.copies(prototype, destinations))
        .thenApply(
            stored ->
                Response.newBuilder().setSent(Sent.newBuilder().setServerTimestamp(now).setEnvelopes(stored)));
  }

  private void checkCoverage(
      GroupRecord group,
      DeviceAddress sender,
      Map<UUID, Map<Integer, Integer>> addressed,
      Map<UUID, Set<Integer>> declined)
      throws ApiException {
    Map<UUID, List<DeviceRecord>> current = new HashMap<>();
    for (DeviceRecord device : groups.devices(group.id())) {
      if (!device.address().equals(sender)) {
        current.computeIfAbsent(device.account(), a -> new ArrayList<>()).add(device);
      }
    }
    Set<UUID> accounts = new HashSet<>(addressed.keySet());
    accounts.addAll(declined.keySet());
    group.members().forEach(m -> accounts.add(m.account()));
    List<AccountMismatch> mismatches = new ArrayList<>();
    for (UUID account : accounts) {
      // A non-member's devices are not current devices of the group: all of them count as extra.
      List<DeviceRecord> devices = group.isMember(account) ? current.getOrDefault(account, List.of()) : List.of();
      AccountMismatch mismatch =
          Coverage.check(
              account.toString(), devices, addressed.getOrDefault(account, Map.of()),
              declined.getOrDefault(account, Set.of()));
      if (mismatch != null) {
        mismatches.add(mismatch);
      }
    }
    if (!mismatches.isEmpty()) {
      throw Coverage.refusal(mismatches);
    }
  }

  public static UUID groupId(String text) throws ApiException {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw new ApiException(Status.BAD_REQUEST, "'" + text + "' is not a group id");
    }
  }
}
