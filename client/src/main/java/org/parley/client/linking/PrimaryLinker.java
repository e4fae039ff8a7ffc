package org.parley.client.linking;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.messaging.OwnDeviceList;
import org.parley.client.net.ServerConnection;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.LinkCodeCipher;
import org.parley.protocol.ProvisioningCipher;
import org.parley.protocol.wire.ClaimLinkCode;
import org.parley.protocol.wire.GetLinkCodeStatus;
import org.parley.protocol.wire.LinkCodeClaim;
import org.parley.protocol.wire.LinkCodeStatus;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.parley.protocol.wire.CreateLinkToken;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.Devices;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.LinkToken;
import org.parley.protocol.wire.ProvisionMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendProvisioning;
import org.parley.protocol.wire.SignedDeviceList;
import org.signal.libsignal.protocol.IdentityKeyPair;

/**
 * The primary's side of linking (docs/PROTOCOL.md §6): take a link token for the QR code's address, vouch
 * for the companion's identity, sign the new device list and send it all, encrypted to the QR
 * code's key, through the server; then wait until the companion has registered.
 */
public final class PrimaryLinker {
  private static final Duration WAIT_FOR_COMPANION = Duration.ofSeconds(90);

  private final IdentityKeyPair identity;
  private final UUID account;
  private final String phone;
  private final String serverUrl;
  private final OwnDeviceList ownList;
  private final Clock clock;

  public PrimaryLinker(
      IdentityKeyPair identity, UUID account, String phone, String serverUrl, OwnDeviceList ownList, Clock clock) {
    this.identity = identity;
    this.account = account;
    this.phone = phone;
    this.serverUrl = serverUrl;
    this.ownList = ownList;
    this.clock = clock;
  }

  /** The companion as linked. */
  public record Linked(int deviceId, String name, String kind, long linkedAt) {}

  public Linked add(ServerConnection server, LinkUri link) {
    return add(server, link, deviceId -> {});
  }

  /**
   * Links the device that shows {@code typed} (docs/PROTOCOL.md §6.1): one of the code's 3 attempts takes
   * the companion's wrapped keys from the server; they are unwrapped here with the whole code,
   * then linking goes on as with the QR code. With a wrong code (or keys the server swapped) the
   * keys are ones nobody holds: the companion cannot open the provisioning message and says so.
   */
  public Linked addByCode(ServerConnection server, String typed) {
    String code;
    try {
      code = LinkCodeCipher.normalize(typed);
    } catch (IllegalArgumentException e) {
      throw new ClientException(e.getMessage());
    }
    String slot = LinkCodeCipher.slot(code);
    LinkCodeClaim claim =
        server
            .call(Request.newBuilder().setClaimLinkCode(ClaimLinkCode.newBuilder().setSlot(slot)))
            .getLinkCodeClaim();
    byte[][] keys = LinkCodeCipher.unwrap(code, claim.getWrapped().toByteArray());
    String wrongCode =
        "the new device could not open what this primary sent: the code is wrong ("
            + claim.getAttemptsLeft() + (claim.getAttemptsLeft() == 1 ? " attempt" : " attempts")
            + " left); check the code the new device shows and try again";
    LinkUri link;
    try {
      link =
          new LinkUri(
              claim.getProvisioningAddress(),
              new ECPublicKey(withType(keys[0])),
              new IdentityKey(new ECPublicKey(withType(keys[1]))),
              claim.getKind(),
              claim.getName());
    } catch (InvalidKeyException e) {
      throw new ClientException(wrongCode);
    }
    int wrongBefore = status(server, slot).getWrong();
    return add(server, link, deviceId -> {
      try {
        if (status(server, slot).getWrong() > wrongBefore) {
          throw new ClientException("INVALID_CODE", wrongCode, null);
        }
      } catch (ClientException e) {
        if (!"NOT_FOUND".equals(e.code())) {
          throw e;
        }
        // The code is gone with its socket: linked (then the device is listed: the socket closes
        // after the link is stored), or the new device gave up after its last wrong attempt.
        if (devices(server).getDevicesList().stream().noneMatch(d -> d.getDeviceId() == deviceId)) {
          throw new ClientException("INVALID_CODE", wrongCode, null);
        }
      }
    });
  }

  private static LinkCodeStatus status(ServerConnection server, String slot) {
    return server
        .call(Request.newBuilder().setGetLinkCodeStatus(GetLinkCodeStatus.newBuilder().setSlot(slot)))
        .getLinkCodeStatus();
  }

  private static byte[] withType(byte[] raw) {
    byte[] typed = new byte[raw.length + 1];
    typed[0] = 0x05; // libsignal's type byte for X25519 keys
    System.arraycopy(raw, 0, typed, 1, raw.length);
    return typed;
  }

  private Linked add(ServerConnection server, LinkUri link, java.util.function.IntConsumer whileWaiting) {
    ownList.reconcile(server);
    LinkToken token =
        server
            .call(
                Request.newBuilder()
                    .setCreateLinkToken(CreateLinkToken.newBuilder().setProvisioningAddress(link.address())))
            .getLinkToken();
    long linkedAt = clock.millis();
    byte[] accountSignature =
        DeviceListSignatures.accountSignature(identity, account, token.getDeviceId(), link.identity(), linkedAt);
    DeviceListEntry entry =
        DeviceListEntry.newBuilder()
            .setDeviceId(token.getDeviceId())
            .setIdentityKey(ByteString.copyFrom(link.identity().serialize()))
            .setAddedAt(linkedAt)
            .setKind(link.kind())
            .setName(link.name())
            .setAccountSignature(ByteString.copyFrom(accountSignature))
            .build();
    // Derived from the list this primary published, never from the server's copy (docs/PROTOCOL.md §5).
    long version = Math.max(token.getNextDeviceListVersion(), ownList.current().version() + 1);
    SignedDeviceList list = ownList.with(entry, version);
    ProvisionMessage message =
        ProvisionMessage.newBuilder()
            .setAccountId(account.toString())
            .setPhone(phone)
            .setDeviceId(token.getDeviceId())
            .setPrimaryIdentityKey(ByteString.copyFrom(identity.getPublicKey().serialize()))
            .setLinkedAt(linkedAt)
            .setAccountSignature(ByteString.copyFrom(accountSignature))
            .setLinkToken(token.getToken())
            .setDeviceList(list)
            .setServerUrl(serverUrl)
            .build();
    server.call(
        Request.newBuilder()
            .setSendProvisioning(
                SendProvisioning.newBuilder()
                    .setAddress(link.address())
                    .setBody(ProvisioningCipher.encrypt(link.provisioningKey(), message).toByteString())));
    awaitCompanion(server, token.getDeviceId(), whileWaiting);
    // The companion stored the list with its registration: now it is the published one.
    ownList.reconcile(server);
    return new Linked(token.getDeviceId(), link.name(), link.kind().name().toLowerCase(java.util.Locale.ROOT), linkedAt);
  }

  private void awaitCompanion(ServerConnection server, int deviceId, java.util.function.IntConsumer whileWaiting) {
    long deadline = System.nanoTime() + WAIT_FOR_COMPANION.toNanos();
    while (devices(server).getDevicesList().stream().noneMatch(d -> d.getDeviceId() == deviceId)) {
      whileWaiting.accept(deviceId);
      if (System.nanoTime() > deadline) {
        throw new ClientException(
            "the new device did not finish linking within " + WAIT_FOR_COMPANION.toSeconds() + " s; run 'parley link' on it again");
      }
      try {
        MILLISECONDS.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ClientException("interrupted while waiting for the new device");
      }
    }
  }

  private static Devices devices(ServerConnection server) {
    return server.call(Request.newBuilder().setGetDevices(GetDevices.getDefaultInstance())).getDevices();
  }
}
