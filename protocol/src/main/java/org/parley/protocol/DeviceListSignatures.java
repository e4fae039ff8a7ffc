package org.parley.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.SignedDeviceList;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.InvalidKeyException;

/**
 * The signatures that stop a server from slipping a ghost device into an account (DESIGN.md §3):
 * the primary's signature over the device list, and the two-part linking proof of each companion.
 * Both the server (on every list update) and every sender (before it encrypts) run these checks.
 */
public final class DeviceListSignatures {
  public static final int PRIMARY_DEVICE_ID = 1;

  private static final byte[] LIST_TAG = tag("parley-device-list-v1");
  private static final byte[] ACCOUNT_TAG = tag("parley-link-account-v1");
  private static final byte[] DEVICE_TAG = tag("parley-link-device-v1");

  private DeviceListSignatures() {}

  public static SignedDeviceList sign(DeviceList list, IdentityKeyPair primary) {
    byte[] encoded = list.toByteArray();
    byte[] signature = primary.getPrivateKey().calculateSignature(concat(LIST_TAG, encoded));
    return SignedDeviceList.newBuilder()
        .setList(com.google.protobuf.ByteString.copyFrom(encoded))
        .setSignature(com.google.protobuf.ByteString.copyFrom(signature))
        .build();
  }

  /** What the primary signs to vouch for a companion. */
  public static byte[] accountSignature(
      IdentityKeyPair primary, UUID accountId, int deviceId, IdentityKey companion, long linkedAt) {
    return primary
        .getPrivateKey()
        .calculateSignature(accountSignedBytes(accountId, deviceId, companion, linkedAt));
  }

  /** What the companion signs to accept the primary's vouching. */
  public static byte[] deviceSignature(
      IdentityKeyPair companion, byte[] accountSignature, IdentityKey primary) {
    return companion
        .getPrivateKey()
        .calculateSignature(concat(DEVICE_TAG, accountSignature, primary.serialize()));
  }

  public static boolean verifyAccountSignature(
      IdentityKey primary,
      UUID accountId,
      int deviceId,
      IdentityKey companion,
      long linkedAt,
      byte[] signature) {
    return primary
        .getPublicKey()
        .verifySignature(accountSignedBytes(accountId, deviceId, companion, linkedAt), signature);
  }

  public static boolean verifyDeviceSignature(
      IdentityKey companion, byte[] accountSignature, IdentityKey primary, byte[] signature) {
    return companion
        .getPublicKey()
        .verifySignature(concat(DEVICE_TAG, accountSignature, primary.serialize()), signature);
  }

  /**
   * Parses a signed list and checks everything that the list alone can prove: the primary's
   * signature, the account, the shape of the entries and every companion's account signature.
   *
   * @param primaryIdentity the key the list must be signed with; when {@code null}, the key of the
   *     list's own device-1 entry (trust on first use: the caller pins it afterwards)
   */
  public static VerifiedDeviceList verify(
      SignedDeviceList signed, UUID expectedAccount, IdentityKey primaryIdentity)
      throws DeviceListException {
    DeviceList list;
    try {
      list = DeviceList.parseFrom(signed.getList());
    } catch (InvalidProtocolBufferException e) {
      throw new DeviceListException("device list is not a valid encoding");
    }
    if (!Objects.equals(list.getAccountId(), expectedAccount.toString())) {
      throw new DeviceListException("device list names another account");
    }
    DeviceListEntry primaryEntry = null;
    Set<Integer> seen = new HashSet<>();
    for (DeviceListEntry entry : list.getEntriesList()) {
      if (entry.getDeviceId() < PRIMARY_DEVICE_ID || entry.getDeviceId() > 127) {
        throw new DeviceListException("device list has an invalid device id " + entry.getDeviceId());
      }
      if (!seen.add(entry.getDeviceId())) {
        throw new DeviceListException("device list names device " + entry.getDeviceId() + " twice");
      }
      if (entry.getDeviceId() == PRIMARY_DEVICE_ID) {
        primaryEntry = entry;
      }
    }
    if (primaryEntry == null) {
      throw new DeviceListException("device list has no primary device");
    }
    IdentityKey listPrimary = identityKey(primaryEntry.getIdentityKey().toByteArray());
    if (primaryIdentity != null && !primaryIdentity.equals(listPrimary)) {
      throw new DeviceListException("device list names another primary identity key");
    }
    if (!listPrimary
        .getPublicKey()
        .verifySignature(concat(LIST_TAG, signed.getList().toByteArray()), signed.getSignature().toByteArray())) {
      throw new DeviceListException("device list signature does not verify");
    }
    for (DeviceListEntry entry : list.getEntriesList()) {
      if (entry.getDeviceId() == PRIMARY_DEVICE_ID) {
        continue;
      }
      IdentityKey companion = identityKey(entry.getIdentityKey().toByteArray());
      if (!verifyAccountSignature(
          listPrimary,
          expectedAccount,
          entry.getDeviceId(),
          companion,
          entry.getAddedAt(),
          entry.getAccountSignature().toByteArray())) {
        throw new DeviceListException(
            "linking proof of device " + entry.getDeviceId() + " does not verify");
      }
    }
    return new VerifiedDeviceList(list, listPrimary);
  }

  /**
   * Checks the second half of a companion's linking proof, which the companion signs after the
   * primary signed the list and so travels beside it (with the device's keys).
   */
  public static boolean verifyDeviceProof(
      VerifiedDeviceList list, int deviceId, IdentityKey served, byte[] deviceSignature) {
    DeviceListEntry entry = list.entry(deviceId);
    if (entry == null) {
      return false;
    }
    IdentityKey listed;
    try {
      listed = identityKey(entry.getIdentityKey().toByteArray());
    } catch (DeviceListException e) {
      return false;
    }
    if (!listed.equals(served)) {
      return false;
    }
    if (deviceId == PRIMARY_DEVICE_ID) {
      return true;
    }
    return verifyDeviceSignature(
        listed, entry.getAccountSignature().toByteArray(), list.primaryIdentity(), deviceSignature);
  }

  public static IdentityKey identityKey(byte[] bytes) throws DeviceListException {
    try {
      return new IdentityKey(bytes);
    } catch (InvalidKeyException | RuntimeException e) {
      throw new DeviceListException("device list holds an invalid identity key");
    }
  }

  private static byte[] accountSignedBytes(
      UUID accountId, int deviceId, IdentityKey companion, long linkedAt) {
    byte[] key = companion.serialize();
    return ByteBuffer.allocate(ACCOUNT_TAG.length + 16 + 4 + key.length + 8)
        .put(ACCOUNT_TAG)
        .putLong(accountId.getMostSignificantBits())
        .putLong(accountId.getLeastSignificantBits())
        .putInt(deviceId)
        .put(key)
        .putLong(linkedAt)
        .array();
  }

  private static byte[] tag(String name) {
    return name.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    ByteBuffer out = ByteBuffer.allocate(length);
    for (byte[] part : parts) {
      out.put(part);
    }
    return out.array();
  }

  /** A list whose signature and linking proofs have been checked. */
  public record VerifiedDeviceList(DeviceList list, IdentityKey primaryIdentity) {
    public long version() {
      return list.getVersion();
    }

    public DeviceListEntry entry(int deviceId) {
      for (DeviceListEntry entry : list.getEntriesList()) {
        if (entry.getDeviceId() == deviceId) {
          return entry;
        }
      }
      return null;
    }

    public Set<Integer> deviceIds() {
      Set<Integer> ids = new HashSet<>();
      list.getEntriesList().forEach(e -> ids.add(e.getDeviceId()));
      return ids;
    }

  }
}
