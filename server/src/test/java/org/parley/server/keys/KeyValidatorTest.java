package org.parley.server.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.store.PreKeys;
import org.parley.server.testing.TestKeys;
import org.parley.server.transport.ApiException;
import org.signal.libsignal.protocol.IdentityKey;

class KeyValidatorTest {
  private static final int MAX_PER_UPLOAD = 3;

  private final KeyValidator validator =
      new KeyValidator(Limits.defaults().toBuilder().maxOneTimeKeysPerUpload(MAX_PER_UPLOAD).build());
  private final TestKeys device = TestKeys.generate();
  private final TestKeys stranger = TestKeys.generate();
  private final IdentityKey identity = device.identity().getPublicKey();

  @Test
  void aWellFormedSignedUploadIsAcceptedAsIs() throws ApiException {
    KeyUpload upload = device.upload(2, 3);

    PreKeys.Upload valid = validator.validate(upload, identity, true);

    assertThat(valid.signedPreKey().id()).isEqualTo(upload.getSignedPreKey().getId());
    assertThat(valid.signedPreKey().publicKey()).isEqualTo(upload.getSignedPreKey().getPublicKey().toByteArray());
    assertThat(valid.signedPreKey().signature()).isEqualTo(upload.getSignedPreKey().getSignature().toByteArray());
    assertThat(valid.kyberLastResort().id()).isEqualTo(upload.getKyberLastResort().getId());
    assertThat(valid.oneTimePreKeys()).extracting(PreKeys.Key::id)
        .containsExactly(upload.getOneTimePreKeys(0).getId(), upload.getOneTimePreKeys(1).getId());
    assertThat(valid.oneTimeKyberPreKeys()).hasSize(3);
  }

  @Test
  void aRefillWithoutSignedKeysIsAcceptedWhenTheyAreNotRequired() throws ApiException {
    KeyUpload refill = device.upload(1, 1).toBuilder().clearSignedPreKey().clearKyberLastResort().build();

    assertThat(validator.validate(refill, identity, false).signedPreKey()).isNull();
    assertRefused(refill, true, Status.BAD_REQUEST);
  }

  @Test
  void aSignedPreKeySignedByAnotherIdentityIsABadSignature() {
    KeyUpload upload = device.upload(0, 0).toBuilder().setSignedPreKey(stranger.signedPreKey()).build();

    assertRefused(upload, true, Status.BAD_SIGNATURE);
  }

  @Test
  void aKyberKeySignedByAnotherIdentityIsABadSignature() {
    KeyUpload lastResort = device.upload(0, 0).toBuilder().setKyberLastResort(stranger.kyberPreKey()).build();
    KeyUpload oneTime = device.upload(0, 1).toBuilder().addOneTimeKyberPreKeys(stranger.kyberPreKey()).build();

    assertRefused(lastResort, true, Status.BAD_SIGNATURE);
    assertRefused(oneTime, true, Status.BAD_SIGNATURE);
  }

  @Test
  void keyBytesThatAreNoKeyAreABadRequestEvenWhenSigned() {
    byte[] garbage = new byte[] {9, 9, 9, 9};
    KeyUpload signedGarbage = device.upload(0, 0).toBuilder().setSignedPreKey(device.signed(garbage)).build();
    KeyUpload ecAsKyber =
        device.upload(0, 0).toBuilder()
            .setKyberLastResort(device.signed(device.signedPreKey().getPublicKey().toByteArray()))
            .build();
    KeyUpload oneTimeGarbage =
        device.upload(0, 0).toBuilder()
            .addOneTimePreKeys(device.oneTimePreKey().toBuilder().setPublicKey(ByteString.copyFrom(garbage)))
            .build();

    assertRefused(signedGarbage, true, Status.BAD_REQUEST);
    assertRefused(ecAsKyber, true, Status.BAD_REQUEST);
    assertRefused(oneTimeGarbage, true, Status.BAD_REQUEST);
  }

  @Test
  void moreOneTimeKeysThanAllowedInOneUploadAreTooLarge() throws ApiException {
    validator.validate(device.upload(MAX_PER_UPLOAD, MAX_PER_UPLOAD), identity, true);

    assertRefused(device.upload(MAX_PER_UPLOAD + 1, 0), true, Status.TOO_LARGE);
    assertRefused(device.upload(0, MAX_PER_UPLOAD + 1), true, Status.TOO_LARGE);
  }

  @Test
  void aKeyIdTwiceInOneUploadIsABadRequest() {
    KeyUpload upload = device.upload(1, 0);
    KeyUpload twice = upload.toBuilder().addOneTimePreKeys(upload.getOneTimePreKeys(0)).build();

    assertRefused(twice, true, Status.BAD_REQUEST);
  }

  @Test
  void identityKeyBytesThatAreNoKeyAreABadRequest() {
    assertThatThrownBy(() -> KeyValidator.identityKey(new byte[] {5, 1, 2}))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST));
  }

  private void assertRefused(KeyUpload upload, boolean requireSigned, Status status) {
    assertThatThrownBy(() -> validator.validate(upload, identity, requireSigned))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(status));
  }
}
