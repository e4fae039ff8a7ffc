package org.parley.client.messaging;

import java.util.Arrays;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.Contacts;
import org.parley.client.store.Quarantine;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.Status;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.state.SessionRecord;

/**
 * Identity pinning on the receiving side (DESIGN.md §3), before anything is decrypted: the claimed
 * sender device must be on its account's verified list, the identity key the envelope speaks with
 * (a PreKey message's own, or the session's) must be the one that list vouches for at that device,
 * and the account's identity must not be held. If not, the sender's list is refreshed once; a newly
 * signed list that vouches for the key lets the envelope through, anything else refuses it.
 */
final class SenderCheck {
  private final DeviceDirectory directory;
  private final Contacts contacts;
  private final SignalStore signal;

  SenderCheck(DeviceDirectory directory, Contacts contacts, SignalStore signal) {
    this.directory = directory;
    this.contacts = contacts;
    this.signal = signal;
  }

  /** Why an envelope is not believed; {@code null} from {@link #check} means it is. */
  record Refusal(String reason, String detail) {}

  Refusal check(ServerConnection server, Envelope envelope) {
    UUID account = UUID.fromString(envelope.getSourceAccount());
    int device = envelope.getSourceDevice();
    byte[] presented = presentedIdentity(envelope, account, device);
    Refusal first = judge(account, device, presented, envelope.getSourcePhone());
    if (first == null) {
      return null;
    }
    try {
      directory.refresh(server, account);
    } catch (ServerException e) {
      if (e.status() == Status.NOT_FOUND) {
        return new Refusal("unvouched-device", "the server knows no account " + account + " any more");
      }
      throw new CheckUnavailable("could not check the sender's device list: " + e.getMessage(), e);
    } catch (ClientException e) {
      throw new CheckUnavailable("could not check the sender's device list: " + e.getMessage(), e);
    }
    return judge(account, device, presented, envelope.getSourcePhone());
  }

  private Refusal judge(UUID account, int device, byte[] presented, String phone) {
    if (contacts.byAccount(account).map(Contacts.Known::held).orElse(false)) {
      return new Refusal(
          Quarantine.HELD,
          "the safety number with " + phone + " changed; compare it with 'parley safety-number " + phone
              + "' and accept it with 'parley trust " + phone + "'");
    }
    byte[] vouched = contacts.vouchedKey(account, device);
    if (vouched == null) {
      return new Refusal(
          "unvouched-device",
          "device " + device + " of " + phone + " is not vouched for by its primary's signed device list");
    }
    if (presented != null && !Arrays.equals(vouched, presented)) {
      return new Refusal(
          "identity-not-vouched",
          "the message speaks with an identity key that " + phone + "'s primary does not vouch for at device "
              + device);
    }
    return null;
  }

  /** The identity key the envelope will be decrypted under, when there is one to compare. */
  private byte[] presentedIdentity(Envelope envelope, UUID account, int device) {
    switch (envelope.getType()) {
      case PREKEY -> {
        try {
          return new PreKeySignalMessage(envelope.getContent().toByteArray()).getIdentityKey().serialize();
        } catch (Exception e) {
          return null; // not a PreKey message at all: decrypting it fails on its own
        }
      }
      case WHISPER -> {
        SessionRecord session = signal.loadSession(new SignalProtocolAddress(account.toString(), device));
        return session == null ? null : session.getRemoteIdentityKey().serialize();
      }
      default -> {
        return null;
      }
    }
  }
}
