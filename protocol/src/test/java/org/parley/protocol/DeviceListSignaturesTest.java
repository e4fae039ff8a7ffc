package org.parley.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.SignedDeviceList;
import org.signal.libsignal.protocol.IdentityKeyPair;

class DeviceListSignaturesTest {
  private final UUID account = UUID.randomUUID();
  private final IdentityKeyPair primary = IdentityKeyPair.generate();
  private final IdentityKeyPair companion = IdentityKeyPair.generate();
  private final long linkedAt = 1_700_000_000_000L;

  private DeviceList list(byte[] accountSignature) {
    return DeviceList.newBuilder()
        .setAccountId(account.toString())
        .setVersion(2)
        .setIssuedAt(linkedAt)
        .addEntries(
            DeviceListEntry.newBuilder()
                .setDeviceId(1)
                .setIdentityKey(ByteString.copyFrom(primary.getPublicKey().serialize()))
                .setKind(DeviceKind.PHONE))
        .addEntries(
            DeviceListEntry.newBuilder()
                .setDeviceId(2)
                .setIdentityKey(ByteString.copyFrom(companion.getPublicKey().serialize()))
                .setAddedAt(linkedAt)
                .setKind(DeviceKind.DESKTOP)
                .setAccountSignature(ByteString.copyFrom(accountSignature)))
        .build();
  }

  private byte[] accountSignature() {
    return DeviceListSignatures.accountSignature(
        primary, account, 2, companion.getPublicKey(), linkedAt);
  }

  @Test
  void aListSignedByThePrimaryWithValidLinkingProofsVerifies() throws Exception {
    byte[] accountSignature = accountSignature();
    SignedDeviceList signed = DeviceListSignatures.sign(list(accountSignature), primary);

    VerifiedDeviceList verified = DeviceListSignatures.verify(signed, account, null);

    assertThat(verified.deviceIds()).containsExactlyInAnyOrder(1, 2);
    assertThat(verified.primaryIdentity()).isEqualTo(primary.getPublicKey());
    byte[] deviceSignature =
        DeviceListSignatures.deviceSignature(companion, accountSignature, primary.getPublicKey());
    assertThat(
            DeviceListSignatures.verifyDeviceProof(
                verified, 2, companion.getPublicKey(), deviceSignature))
        .isTrue();
  }

  @Test
  void aTamperedListIsRefused() {
    SignedDeviceList signed = DeviceListSignatures.sign(list(accountSignature()), primary);
    byte[] bytes = signed.getList().toByteArray();
    bytes[bytes.length - 1] ^= 1;
    SignedDeviceList tampered = signed.toBuilder().setList(ByteString.copyFrom(bytes)).build();

    assertThatThrownBy(() -> DeviceListSignatures.verify(tampered, account, null))
        .isInstanceOf(DeviceListException.class);
  }

  @Test
  void aListSignedByAnotherKeyIsRefusedOnceThePrimaryIsPinned() {
    IdentityKeyPair server = IdentityKeyPair.generate();
    SignedDeviceList forged = DeviceListSignatures.sign(list(accountSignature()), server);

    assertThatThrownBy(() -> DeviceListSignatures.verify(forged, account, primary.getPublicKey()))
        .hasMessageContaining("signature");
  }

  @Test
  void aCompanionWithoutAValidAccountSignatureIsRefused() {
    byte[] forgedProof =
        DeviceListSignatures.accountSignature(
            IdentityKeyPair.generate(), account, 2, companion.getPublicKey(), linkedAt);
    SignedDeviceList signed = DeviceListSignatures.sign(list(forgedProof), primary);

    assertThatThrownBy(() -> DeviceListSignatures.verify(signed, account, null))
        .hasMessageContaining("linking proof of device 2");
  }

  @Test
  void aDeviceSignatureByAnotherKeyOrForAnotherIdentityFails() throws Exception {
    byte[] accountSignature = accountSignature();
    VerifiedDeviceList verified =
        DeviceListSignatures.verify(
            DeviceListSignatures.sign(list(accountSignature), primary), account, null);
    IdentityKeyPair ghost = IdentityKeyPair.generate();
    byte[] ghostSignature =
        DeviceListSignatures.deviceSignature(ghost, accountSignature, primary.getPublicKey());

    assertThat(
            DeviceListSignatures.verifyDeviceProof(
                verified, 2, companion.getPublicKey(), ghostSignature))
        .isFalse();
    assertThat(
            DeviceListSignatures.verifyDeviceProof(verified, 2, ghost.getPublicKey(), ghostSignature))
        .isFalse();
    assertThat(
            DeviceListSignatures.verifyDeviceProof(verified, 3, ghost.getPublicKey(), ghostSignature))
        .isFalse();
  }

  @Test
  void aListForAnotherAccountIsRefused() {
    SignedDeviceList signed = DeviceListSignatures.sign(list(accountSignature()), primary);

    assertThatThrownBy(() -> DeviceListSignatures.verify(signed, UUID.randomUUID(), null))
        .hasMessageContaining("another account");
  }
}
