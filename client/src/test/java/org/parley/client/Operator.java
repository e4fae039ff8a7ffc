package org.parley.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.parley.client.messaging.Padding;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;
import org.parley.server.store.Account;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.PreKeys;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.testing.TestServer;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;

/**
 * The server operator in attack tests, with exactly the operator's powers: it reads and writes the
 * server's store (accounts, devices, lists, public pre-keys, queues). It holds no private key of any
 * user: a forger it makes speaks with an identity key of its own.
 */
final class Operator {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final TestServer server;

  Operator(TestServer server) {
    this.server = server;
  }

  Account account(String phone) {
    return server.server().storage().accounts().byPhone(phone).orElseThrow();
  }

  DeviceAddress device(String phone, int deviceId) {
    return new DeviceAddress(account(phone).id(), deviceId);
  }

  /** What waits in a device's queue, oldest first. */
  List<Envelope> queued(String phone, int deviceId) {
    return server.server().storage().queues().read(device(phone, deviceId), 0, 1000).stream()
        .map(Operator::parse)
        .toList();
  }

  /** Writes an envelope into a device's queue, as if {@code from} had sent it. */
  void inject(String fromPhone, int fromDevice, String toPhone, int toDevice, CiphertextType type, byte[] content) {
    inject(fromPhone, fromDevice, toPhone, toDevice, type, content, "");
  }

  /** Writes a group (sender-key) message into a device's queue, as if {@code from} had sent it. */
  void injectGroup(String fromPhone, int fromDevice, String toPhone, int toDevice, String group, byte[] content) {
    inject(fromPhone, fromDevice, toPhone, toDevice, CiphertextType.SENDER_KEY, content, group);
  }

  private void inject(
      String fromPhone, int fromDevice, String toPhone, int toDevice, CiphertextType type, byte[] content, String group) {
    byte[] guid = new byte[16];
    RANDOM.nextBytes(guid);
    long now = System.currentTimeMillis();
    Envelope envelope =
        Envelope.newBuilder()
            .setGuid(ByteString.copyFrom(guid))
            .setSourceAccount(account(fromPhone).id().toString())
            .setSourcePhone(fromPhone)
            .setSourceDevice(fromDevice)
            .setDestinationDevice(toDevice)
            .setType(type)
            .setClientTimestamp(now)
            .setServerTimestamp(now)
            .setContent(ByteString.copyFrom(content))
            .setGroupId(group)
            .build();
    server.server().storage().queues()
        .append(List.of(new NewEnvelope(device(toPhone, toDevice), guid, now, envelope.toByteArray())))
        .join();
  }

  /** An identity of the operator's own, claiming to be device {@code device} of {@code phone}. */
  Forger forger(String phone, int device) {
    DeviceRecord real = server.server().storage().accounts().device(device(phone, device)).orElseThrow();
    return new Forger(phone, device, real.registrationId());
  }

  private static Envelope parse(QueuedEnvelope queued) {
    try {
      return Envelope.parseFrom(queued.envelope());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Builds sessions from victims' public bundles and writes what it encrypts into their queues. */
  final class Forger {
    final String phone;
    final int device;
    final IdentityKeyPair identity = IdentityKeyPair.generate();
    final InMemorySignalProtocolStore store;

    Forger(String phone, int device, int registrationId) {
      this.phone = phone;
      this.device = device;
      this.store = new InMemorySignalProtocolStore(identity, registrationId);
    }

    /** A PreKey message to the victim's device carrying {@code content}, written into its queue. */
    void send(String victimPhone, int victimDevice, Content content) {
      try {
        SignalProtocolAddress victim = address(victimPhone, victimDevice);
        if (!store.containsSession(victim)) {
          PreKeys.Bundle bundle =
              server.server().storage().keys().take(device(victimPhone, victimDevice)).orElseThrow();
          new SessionBuilder(store, victim).process(preKeyBundle(bundle), Instant.now());
        }
        CiphertextMessage message =
            new SessionCipher(store, victim).encrypt(Padding.pad(content.toByteArray()), Instant.now());
        inject(
            phone, device, victimPhone, victimDevice,
            message.getType() == CiphertextMessage.PREKEY_TYPE ? CiphertextType.PREKEY : CiphertextType.WHISPER,
            message.serialize());
      } catch (Exception e) {
        throw new IllegalStateException("the forgery could not be built", e);
      }
    }

    /** Tries to read what the victim sent to the device this forger claims to be. */
    byte[] read(String victimPhone, int victimDevice, Envelope envelope) throws Exception {
      SessionCipher cipher = new SessionCipher(store, address(victimPhone, victimDevice));
      byte[] bytes = envelope.getContent().toByteArray();
      return envelope.getType() == CiphertextType.PREKEY
          ? cipher.decrypt(new PreKeySignalMessage(bytes))
          : cipher.decrypt(new SignalMessage(bytes));
    }

    private SignalProtocolAddress address(String phone, int device) {
      return new SignalProtocolAddress(account(phone).id().toString(), device);
    }
  }

  static PreKeyBundle preKeyBundle(PreKeys.Bundle bundle) throws Exception {
    DeviceRecord device = bundle.device();
    return new PreKeyBundle(
        device.registrationId(),
        device.deviceId(),
        bundle.preKey() != null ? bundle.preKey().id() : PreKeyBundle.NULL_PRE_KEY_ID,
        bundle.preKey() != null ? new ECPublicKey(bundle.preKey().publicKey()) : null,
        bundle.signedPreKey().id(),
        new ECPublicKey(bundle.signedPreKey().publicKey()),
        bundle.signedPreKey().signature(),
        new IdentityKey(device.identityKey()),
        bundle.kyberPreKey().id(),
        new KEMPublicKey(bundle.kyberPreKey().publicKey()),
        bundle.kyberPreKey().signature());
  }

  static UUID id(Account account) {
    return account.id();
  }
}
