package org.parley.client.messaging;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.parley.client.ClientException;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.GroupWarningEvent;
import org.parley.client.messaging.DeviceDirectory.Account;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.Contacts.KnownDevice;
import org.parley.client.store.GroupStore;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.GroupStore.Member;
import org.parley.client.store.GroupStore.Share;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.AccountMismatch;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.GroupRecipient;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendGroupMessage;
import org.parley.protocol.wire.Status;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;

/**
 * Sends to a group with Sender Keys (docs/PROTOCOL.md §10). This device keeps one sender key per group. Before
 * a message it hands that key (a libsignal SenderKeyDistributionMessage, pairwise encrypted by {@link
 * MessageSender}) to every vouched-for device of every member that does not hold it yet, its own
 * other devices included; then it encrypts the message once and submits that one ciphertext, which
 * the server fans out after checking that it covers every member device.
 *
 * <p>Rotation: when a device that holds the current key is no longer a recipient (its account was
 * removed or left, it was unlinked, it registered again) the key is retired and a new one, under a
 * new distribution id, goes to the remaining devices before the message. The old key cannot open
 * anything sent after that.
 *
 * <p>The members are this device's own verified copy ({@link GroupRoster}). When the server insists
 * on an account that no signed change made a member, this device first catches up with the group's
 * signed changes; if the account is still not a member, its devices are declined (they get neither
 * the key nor the message) and the user is warned.
 */
public final class GroupSender {
  /** A send refused for out-of-date devices is refreshed and tried again this often in all. */
  private static final int ATTEMPTS = 3;
  /** Key handovers per request, under the server's bound of envelopes per request. */
  private static final int HANDOVERS_PER_REQUEST = 500;

  private final SignalStore signal;
  private final GroupStore groups;
  private final GroupRoster roster;
  private final DeviceDirectory directory;
  private final MessageSender pairwise;
  private final Clock clock;
  private final UUID ownAccount;
  private final int ownDevice;
  private final SignalProtocolAddress self;
  private final Consumer<ClientEvent> events;

  public GroupSender(
      SignalStore signal,
      GroupStore groups,
      GroupRoster roster,
      DeviceDirectory directory,
      MessageSender pairwise,
      Clock clock,
      UUID ownAccount,
      int ownDevice,
      Consumer<ClientEvent> events) {
    this.signal = signal;
    this.groups = groups;
    this.roster = roster;
    this.directory = directory;
    this.pairwise = pairwise;
    this.clock = clock;
    this.ownAccount = ownAccount;
    this.ownDevice = ownDevice;
    this.self = MessageSender.address(ownAccount, ownDevice);
    this.events = events;
  }

  /** The server's time of storing, how many devices it stored for, and the devices left out (why). */
  public record Result(long serverTimestamp, int envelopes, List<String> declined) {}

  /** An account's devices as this send treats them: given the key (or to be), or declined. */
  private record Target(UUID account, String phone, List<KnownDevice> trusted, List<KnownDevice> declined) {}

  public Result send(ServerConnection server, String groupId, Content content, long timestamp) {
    LocalGroup group = groups.get(groupId).filter(LocalGroup::member).orElseGet(() -> refresh(server, groupId));
    // Devices of accounts the server counts as members though no signed change made them one.
    Map<UUID, Set<Integer>> unsigned = new HashMap<>();
    ServerException last = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      List<Target> targets = targets(server, group);
      UUID distributionId = currentKey(groupId, targets);
      Set<Share> holders = handOver(server, groupId, distributionId, targets);
      // One upload for the whole group: the blob ids go with the one ciphertext that carries the pointers.
      SendGroupMessage.Builder request =
          SendGroupMessage.newBuilder()
              .setGroupId(groupId)
              .setTimestamp(timestamp)
              .addAllAttachmentBlobIds(MessageSender.blobIds(List.of(new MessageSender.Part(ownAccount, content))));
      List<String> declined = new ArrayList<>();
      unsigned.forEach((account, devices) -> devices.forEach(device -> {
        request.addDeclined(ref(account, device));
        declined.add(phoneOf(server, account) + " device " + device + " (not a member by any admin's signed change)");
      }));
      for (Target target : targets) {
        for (KnownDevice device : target.trusted()) {
          if (holders.contains(share(target, device))) {
            request.addRecipients(
                GroupRecipient.newBuilder()
                    .setAccountId(target.account().toString())
                    .setDeviceId(device.deviceId())
                    .setRegistrationId(device.registrationId()));
          } else {
            // Vouched for, but no session could be started to hand it the key: it cannot read this.
            request.addDeclined(ref(target.account(), device.deviceId()));
            declined.add(target.phone() + " device " + device.deviceId() + " (no session)");
          }
        }
        for (KnownDevice device : target.declined()) {
          request.addDeclined(ref(target.account(), device.deviceId()));
          declined.add(target.phone() + " device " + device.deviceId());
        }
      }
      request.setContent(encrypt(distributionId, content));
      try {
        Response response = server.call(Request.newBuilder().setSendGroupMessage(request));
        return new Result(response.getSent().getServerTimestamp(), response.getSent().getEnvelopes(), declined);
      } catch (ServerException e) {
        if (e.status() != Status.MISMATCHED_DEVICES && e.status() != Status.STALE_DEVICES) {
          throw e;
        }
        last = e;
        // Members may have come or gone: catch up with the signed changes before believing anything.
        group = refresh(server, groupId);
        for (AccountMismatch mismatch : e.response().getMismatch().getAccountsList()) {
          UUID account = UUID.fromString(mismatch.getAccountId());
          if (!group.isMember(account)) {
            if (!mismatch.getMissingList().isEmpty() && !unsigned.containsKey(account)) {
              warnUnsigned(server, groupId, account);
            }
            unsigned.computeIfAbsent(account, a -> new HashSet<>()).addAll(mismatch.getMissingList());
            continue;
          }
          for (int stale : mismatch.getStaleList()) {
            // Registered again: the old session is useless; the next handover starts a new one.
            signal.deleteSession(MessageSender.address(account, stale));
          }
          directory.refresh(server, account);
        }
      }
    }
    throw new ClientException(
        "MISMATCHED_DEVICES",
        "the devices of the group's members changed while sending and did not settle; try again ("
            + last.getMessage() + ")",
        last);
  }

  private LocalGroup refresh(ServerConnection server, String groupId) {
    List<ClientEvent> learned = new ArrayList<>();
    try {
      return roster.refresh(server, groupId, learned);
    } finally {
      learned.forEach(events);
    }
  }

  private void warnUnsigned(ServerConnection server, String groupId, UUID account) {
    String phone = phoneOf(server, account);
    events.accept(
        new GroupWarningEvent(
            "unsigned-member", groupId, phone,
            "the server counts " + phone + " as a member of group " + groupId + ", but no admin's signed change"
                + " added them: they get neither this device's group key nor its messages"));
  }

  private String phoneOf(ServerConnection server, UUID account) {
    String phone = groups.phoneOf(account);
    if (phone == null) {
      try {
        phone = directory.refresh(server, account).phone();
      } catch (RuntimeException e) {
        phone = account.toString();
      }
    }
    return phone;
  }

  /** Every member account's devices, from the verified cache or, for accounts not seen yet, the server. */
  private List<Target> targets(ServerConnection server, LocalGroup group) {
    List<Target> targets = new ArrayList<>(group.members().size());
    for (Member member : group.members()) {
      Account account =
          directory.cached(member.account()).orElseGet(() -> directory.refresh(server, member.account()));
      List<KnownDevice> trusted = account.trusted();
      if (account.id().equals(ownAccount)) {
        trusted = trusted.stream().filter(d -> d.deviceId() != ownDevice).toList();
      }
      targets.add(new Target(account.id(), account.phone(), trusted, account.declined()));
    }
    return targets;
  }

  /** The distribution id to send under: the current one, unless a holder is no longer a recipient. */
  private UUID currentKey(String groupId, List<Target> targets) {
    Optional<UUID> current = groups.distributionId(groupId);
    if (current.isPresent()) {
      Set<Share> recipients = new HashSet<>();
      for (Target target : targets) {
        target.trusted().forEach(device -> recipients.add(share(target, device)));
      }
      if (recipients.containsAll(groups.shares(groupId, current.get()))) {
        return current.get();
      }
    }
    return groups.newDistribution(groupId);
  }

  /**
   * Hands the sender key to every recipient device that does not hold it, in batches of whole
   * accounts (the server checks coverage per account). Returns every holder afterwards.
   */
  private Set<Share> handOver(ServerConnection server, String groupId, UUID distributionId, List<Target> targets) {
    Set<Share> holders = new HashSet<>(groups.shares(groupId, distributionId));
    List<List<Target>> batches = new ArrayList<>();
    List<Target> batch = new ArrayList<>();
    int devices = 0;
    for (Target target : targets) {
      if (target.trusted().stream().allMatch(device -> holders.contains(share(target, device)))) {
        continue;
      }
      if (!batch.isEmpty() && devices + target.trusted().size() > HANDOVERS_PER_REQUEST) {
        batches.add(batch);
        batch = new ArrayList<>();
        devices = 0;
      }
      batch.add(target);
      devices += target.trusted().size();
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    if (batches.isEmpty()) {
      return holders;
    }
    SenderKeyDistributionMessage key = new GroupSessionBuilder(signal).create(self, distributionId);
    Content handover =
        Content.newBuilder()
            .setSenderKeyDistribution(ByteString.copyFrom(key.serialize()))
            .setSenderKeyGroup(groupId)
            .build();
    List<MessageSender.Batch> requests = new ArrayList<>(batches.size());
    for (List<Target> accounts : batches) {
      List<MessageSender.Part> parts = new ArrayList<>();
      boolean own = false;
      for (Target target : accounts) {
        parts.add(new MessageSender.Part(target.account(), handover));
        own |= target.account().equals(ownAccount);
      }
      requests.add(new MessageSender.Batch(parts, !own));
    }
    // Every batch stored is recorded, even when another fails: those devices hold the key. In one
    // profile commit after the last answer, not one per batch.
    List<Share> reached = new ArrayList<>();
    try {
      pairwise.sendAll(server, requests, clock.millis(), result -> result.reached().forEach(
          r -> reached.add(new Share(r.account(), r.deviceId(), r.registrationId()))));
    } finally {
      if (!reached.isEmpty()) {
        groups.shared(groupId, distributionId, reached);
        holders.addAll(reached);
      }
    }
    return holders;
  }

  private ByteString encrypt(UUID distributionId, Content content) {
    try {
      return ByteString.copyFrom(
          new GroupCipher(signal, self).encrypt(distributionId, Padding.pad(content.toByteArray())).serialize());
    } catch (NoSessionException e) {
      throw new ClientException("this device's sender key for the group is missing: " + e.getMessage(), e);
    }
  }

  private static Share share(Target target, KnownDevice device) {
    return new Share(target.account(), device.deviceId(), device.registrationId());
  }

  private static DeviceRef ref(UUID account, int device) {
    return DeviceRef.newBuilder().setAccountId(account.toString()).setDeviceId(device).build();
  }
}
