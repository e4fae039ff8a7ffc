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
import org.parley.protocol.ProvisioningCipher;
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
 * The primary's side of linking (DESIGN.md §4): take a link token for the QR code's address, vouch
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
    // Derived from the list this primary published, never from the server's copy (DESIGN.md §3).
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
    awaitCompanion(server, token.getDeviceId());
    // The companion stored the list with its registration: now it is the published one.
    ownList.reconcile(server);
    return new Linked(token.getDeviceId(), link.name(), link.kind().name().toLowerCase(java.util.Locale.ROOT), linkedAt);
  }

  private void awaitCompanion(ServerConnection server, int deviceId) {
    long deadline = System.nanoTime() + WAIT_FOR_COMPANION.toNanos();
    while (devices(server).getDevicesList().stream().noneMatch(d -> d.getDeviceId() == deviceId)) {
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
