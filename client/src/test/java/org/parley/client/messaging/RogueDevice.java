package org.parley.client.messaging;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.Contacts;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.client.store.TrustPolicy;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.DataMessage;
import org.parley.protocol.wire.GroupRecipient;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendGroupMessage;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.groups.GroupCipher;
import org.signal.libsignal.protocol.groups.GroupSessionBuilder;
import org.signal.libsignal.protocol.message.SenderKeyDistributionMessage;

/**
 * For attack tests: a registered device whose software skips the honest client's checks, sending
 * with its own real keys what the honest client never would (a group key and a group message to a
 * group it is not a member of by any signed change). The device's profile must not be open elsewhere.
 */
public final class RogueDevice implements AutoCloseable {
  private final ProfileStore profile;
  private final SignalStore signal;
  private final LocalDevice local;
  private final ServerConnection server;
  private final MessageSender sender;

  private RogueDevice(Path directory) {
    this.profile = ProfileStore.open(directory);
    this.signal = new SignalStore(profile, Clock.systemUTC());
    this.local = new LocalDevice(profile);
    this.server =
        ServerConnection.open(
            ServerConnection.Target.device(
                local.serverUrl(), local.account().toString(), local.deviceId(), local.credential(), null, false),
            push -> {});
    DeviceDirectory devices =
        new DeviceDirectory(new Contacts(profile), signal, TrustPolicy.of(profile), Clock.systemUTC(), event -> {});
    // One thread: a rogue needs no speed, and has nothing to close.
    this.sender =
        new MessageSender(
            profile, signal, devices, Clock.systemUTC(), local.account(), local.deviceId(),
            new EncryptionThreads(1, Thread.ofPlatform().factory()));
  }

  public static RogueDevice open(Path directory) {
    return new RogueDevice(directory);
  }

  /** Hands a fresh sender key to every device of the accounts, then posts one group message under it. */
  public void postToGroup(String groupId, List<UUID> accounts, String body) throws Exception {
    postToGroup(groupId, accounts, body, UUID.randomUUID().toString());
  }

  /** The same, with a message id of the sender's choosing (the honest client draws a random one). */
  public void postToGroup(String groupId, List<UUID> accounts, String body, String messageId) throws Exception {
    SignalProtocolAddress self = new SignalProtocolAddress(local.account().toString(), local.deviceId());
    UUID distribution = UUID.randomUUID();
    SenderKeyDistributionMessage key = new GroupSessionBuilder(signal).create(self, distribution);
    Content handover =
        Content.newBuilder()
            .setSenderKeyDistribution(ByteString.copyFrom(key.serialize()))
            .setSenderKeyGroup(groupId)
            .build();
    List<MessageSender.Part> parts = new ArrayList<>();
    accounts.forEach(a -> parts.add(new MessageSender.Part(a, handover)));
    long now = System.currentTimeMillis();
    MessageSender.Result reached = sender.send(server, parts, now, true);

    Content message =
        Content.newBuilder()
            .setData(
                DataMessage.newBuilder().setId(messageId).setBody(body).setTimestamp(now)
                    .setGroupId(groupId))
            .build();
    byte[] ciphertext =
        new GroupCipher(signal, self).encrypt(distribution, Padding.pad(message.toByteArray())).serialize();
    SendGroupMessage.Builder send =
        SendGroupMessage.newBuilder().setGroupId(groupId).setTimestamp(now).setContent(ByteString.copyFrom(ciphertext));
    for (MessageSender.Reached device : reached.reached()) {
      send.addRecipients(
          GroupRecipient.newBuilder()
              .setAccountId(device.account().toString())
              .setDeviceId(device.deviceId())
              .setRegistrationId(device.registrationId()));
    }
    server.call(Request.newBuilder().setSendGroupMessage(send));
  }

  /** The account this device's store knows for a number (one it has exchanged messages or a group with). */
  public UUID accountOf(String phone) {
    return new Contacts(profile).byPhone(phone).orElseThrow().account();
  }

  @Override
  public void close() {
    server.close();
    profile.close();
  }
}
