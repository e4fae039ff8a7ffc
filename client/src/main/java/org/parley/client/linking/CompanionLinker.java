package org.parley.client.linking;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.parley.client.ClientException;
import org.parley.client.keys.PreKeys;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.Contacts;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.DeviceListException;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.LinkCodeCipher;
import org.parley.protocol.ProvisioningCipher;
import org.parley.protocol.wire.LinkCodeRegistered;
import org.parley.protocol.wire.LinkCodeWrong;
import org.parley.protocol.wire.RegisterLinkCode;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.LinkDevice;
import org.parley.protocol.wire.Linked;
import org.parley.protocol.wire.NewDevice;
import org.parley.protocol.wire.ProvisionEnvelope;
import org.parley.protocol.wire.ProvisionMessage;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.util.KeyHelper;

/**
 * The new device's side of linking (docs/PROTOCOL.md §6): wait on the provisioning socket, show the QR
 * code, take the primary's provisioning message, check that the primary vouched for exactly this
 * identity, countersign, and register with the link token.
 */
public final class CompanionLinker {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The server's attempts per code (docs/PROTOCOL.md §6.1): after as many wrong ones nothing can come. */
  private static final int MAX_CODE_ATTEMPTS = 3;

  private final ProfileStore profile;
  private final SignalStore signal;
  private final LocalDevice local;
  private final Contacts contacts;
  private final Clock clock;
  private final SSLContext ssl;

  public CompanionLinker(
      ProfileStore profile, SignalStore signal, LocalDevice local, Contacts contacts, Clock clock, SSLContext ssl) {
    this.profile = profile;
    this.signal = signal;
    this.local = local;
    this.contacts = contacts;
    this.clock = clock;
    this.ssl = ssl;
  }

  /**
   * What to show: the QR code's {@code parley://link?} line, or (linking by code) the
   * {@code XXXX-XXXX} code with {@code uri} null; and when it stops working.
   */
  public record Invitation(String uri, long expiresAt, String code) {}

  /** What this device became. */
  public record Result(UUID account, String phone, int deviceId, long linkedAt, VerifiedDeviceList list) {}

  public Result link(String serverUrl, String name, DeviceKind kind, Consumer<Invitation> show) {
    return link(serverUrl, name, kind, false, show);
  }

  /** @param byCode show an 8-character code (docs/PROTOCOL.md §6.1) instead of a QR code */
  public Result link(String serverUrl, String name, DeviceKind kind, boolean byCode, Consumer<Invitation> show) {
    if (local.isRegistered() && local.unlinkedReason() == null) {
      throw new ClientException(
          "this profile is already a device of " + local.phone() + "; use another --profile to link a new one");
    }
    IdentityKeyPair identity = IdentityKeyPair.generate();
    int registrationId = KeyHelper.generateRegistrationId(false);
    byte[] credential = new byte[32];
    RANDOM.nextBytes(credential);
    ECKeyPair ephemeral = ECKeyPair.generate();
    BlockingQueue<Push> pushes = new LinkedBlockingQueue<>();
    try (ServerConnection socket =
        ServerConnection.open(ServerConnection.Target.provisioning(serverUrl, ssl), pushes::add)) {
      Push first = next(pushes, socket, Duration.ofSeconds(30));
      if (!first.hasProvisioningAddress()) {
        throw new ClientException("the server did not open a provisioning address; is it a Parley server?");
      }
      long expiresAt = first.getProvisioningAddress().getExpiresAt();
      if (byCode) {
        Invitation code = registerCode(socket, ephemeral, identity, name, kind);
        expiresAt = code.expiresAt();
        show.accept(code);
      } else {
        show.accept(
            new Invitation(
                new LinkUri(first.getProvisioningAddress().getAddress(), ephemeral.getPublicKey(),
                        identity.getPublicKey(), kind, name)
                    .toUri(),
                expiresAt, null));
      }
      ProvisionMessage message = awaitProvisioning(pushes, socket, ephemeral, expiresAt, byCode);
      UUID account = UUID.fromString(message.getAccountId());
      IdentityKey primary = key(message.getPrimaryIdentityKey().toByteArray());
      VerifiedDeviceList list = checkVouched(message, account, primary, identity.getPublicKey());
      byte[] deviceSignature =
          DeviceListSignatures.deviceSignature(identity, message.getAccountSignature().toByteArray(), primary);

      signal.initialize(identity, registrationId);
      NewDevice device =
          NewDevice.newBuilder()
              .setIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
              .setRegistrationId(registrationId)
              .setCredential(ByteString.copyFrom(credential))
              .setName(name)
              .setKind(kind)
              .setKeys(new PreKeys(profile, signal).initial(clock.millis()))
              .build();
      Linked linked =
          socket
              .call(
                  Request.newBuilder()
                      .setLinkDevice(
                          LinkDevice.newBuilder()
                              .setToken(message.getLinkToken())
                              .setDevice(device)
                              .setAccountSignature(message.getAccountSignature())
                              .setDeviceSignature(ByteString.copyFrom(deviceSignature))
                              .setDeviceList(message.getDeviceList())))
              .getLinked();
      local.prepare(serverUrl, message.getPhone(), name, kind.getNumber());
      local.registered(account, linked.getDeviceId(), message.getPhone(), credential);
      contacts.pinPrimary(account, message.getPhone(), primary.serialize());
      return new Result(account, message.getPhone(), linked.getDeviceId(), message.getLinkedAt(), list);
    }
  }

  /**
   * Files the code's wrapped keys with the server under its first half; draws again when that half
   * is taken by another waiting code.
   */
  private static Invitation registerCode(
      ServerConnection socket, ECKeyPair ephemeral, IdentityKeyPair identity, String name, DeviceKind kind) {
    for (int attempt = 1; ; attempt++) {
      String code = LinkCodeCipher.generate(RANDOM);
      byte[] wrapped =
          LinkCodeCipher.wrap(code, raw(ephemeral.getPublicKey()), raw(identity.getPublicKey().getPublicKey()));
      try {
        LinkCodeRegistered registered =
            socket
                .call(
                    Request.newBuilder()
                        .setRegisterLinkCode(
                            RegisterLinkCode.newBuilder()
                                .setSlot(LinkCodeCipher.slot(code))
                                .setWrapped(ByteString.copyFrom(wrapped))
                                .setName(name)
                                .setKind(kind)))
                .getLinkCodeRegistered();
        return new Invitation(null, registered.getExpiresAt(), code);
      } catch (ClientException e) {
        if (!"CONFLICT".equals(e.code()) || attempt == 3) {
          throw e;
        }
      }
    }
  }

  /** The 32 bytes of an X25519 public key, without libsignal's type byte. */
  static byte[] raw(org.signal.libsignal.protocol.ecc.ECPublicKey key) {
    byte[] serialized = key.serialize();
    return java.util.Arrays.copyOfRange(serialized, serialized.length - LinkCodeCipher.KEY_BYTES, serialized.length);
  }

  private static ProvisionMessage awaitProvisioning(
      BlockingQueue<Push> pushes, ServerConnection socket, ECKeyPair ephemeral, long expiresAt, boolean byCode) {
    int wrong = 0;
    while (true) {
      Push push = next(pushes, socket, Duration.ofMillis(Math.max(1000, expiresAt - System.currentTimeMillis() + 5000)));
      if (push.hasProvisioningRefused()) {
        throw new ClientException(
            push.getProvisioningRefused().getStatus().name(),
            "the primary could not link this device: " + push.getProvisioningRefused().getMessage(),
            null);
      }
      if (push.hasProvisioningMessage()) {
        try {
          return ProvisioningCipher.decrypt(
              ephemeral, ProvisionEnvelope.parseFrom(push.getProvisioningMessage().getBody()));
        } catch (InvalidProtocolBufferException | ProvisioningCipher.ProvisioningException e) {
          if (byCode) {
            // Sealed to a key this device does not hold: the primary typed a wrong code (or the
            // server swapped the keys). Told to the server, which tells the primary; the code
            // stays good for its remaining attempts.
            socket.call(Request.newBuilder().setLinkCodeWrong(LinkCodeWrong.getDefaultInstance()));
            if (++wrong >= MAX_CODE_ATTEMPTS) {
              throw new ClientException(
                  "INVALID_CODE",
                  "the code was typed wrong " + wrong + " times and no longer works; run 'parley link --code' again",
                  null);
            }
            continue;
          }
          throw new ClientException("the provisioning message could not be opened: " + e.getMessage(), e);
        }
      }
    }
  }

  private static Push next(BlockingQueue<Push> pushes, ServerConnection socket, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      Push push;
      try {
        push = pushes.poll(250, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ClientException("interrupted while waiting to be linked");
      }
      if (push != null) {
        return push;
      }
      if (!socket.isOpen() || System.nanoTime() > deadline) {
        throw new ClientException(
            "EXPIRED", "the QR code or link code expired before a primary device added it; run 'parley link' again", null);
      }
    }
  }

  /** The primary must vouch for exactly this identity, under this device id, on a list it signed. */
  private static VerifiedDeviceList checkVouched(
      ProvisionMessage message, UUID account, IdentityKey primary, IdentityKey mine) {
    if (!DeviceListSignatures.verifyAccountSignature(
        primary, account, message.getDeviceId(), mine, message.getLinkedAt(),
        message.getAccountSignature().toByteArray())) {
      throw new ClientException("the primary's signature over this device does not verify; not linking");
    }
    try {
      VerifiedDeviceList list = DeviceListSignatures.verify(message.getDeviceList(), account, primary);
      DeviceListEntry entry = list.entry(message.getDeviceId());
      if (entry == null || !entry.getIdentityKey().equals(ByteString.copyFrom(mine.serialize()))) {
        throw new ClientException("the primary's device list does not name this device; not linking");
      }
      return list;
    } catch (DeviceListException e) {
      throw new ClientException("the primary's device list does not verify (" + e.getMessage() + "); not linking");
    }
  }

  private static IdentityKey key(byte[] bytes) {
    try {
      return new IdentityKey(bytes);
    } catch (InvalidKeyException e) {
      throw new ClientException("the provisioning message holds an invalid identity key");
    }
  }
}
