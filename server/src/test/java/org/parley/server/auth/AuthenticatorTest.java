package org.parley.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.Storage;
import org.parley.server.store.StoreFixtures;
import org.parley.server.store.sqlite.SqliteStorage;
import org.parley.server.testing.RawClient;

class AuthenticatorTest {
  private static final String PHONE = "+15550008001";

  @TempDir Path dir;
  private Storage storage;
  private Authenticator authenticator;
  private UUID account;
  private final byte[] primarySecret = secret();

  @BeforeEach
  void registerAPrimary() {
    storage = new SqliteStorage(dir);
    authenticator = new Authenticator(storage.accounts());
    account = registerPrimary(primarySecret, 1_000);
  }

  @AfterEach
  void closeStorage() {
    storage.close();
  }

  @Test
  void theRightCredentialAuthenticatesTheDevice() {
    Authenticator.Result result = authenticator.authenticate(RawClient.authorization(account, 1, primarySecret));

    assertThat(result).isInstanceOfSatisfying(Authenticator.Authenticated.class, ok -> {
      assertThat(ok.device().address()).isEqualTo(StoreFixtures.primary(account, null, 0).address());
      assertThat(ok.phone()).isEqualTo(PHONE);
    });
  }

  @Test
  void aWrongSecretAndAnUnknownDeviceAreRefusedAlike() {
    Authenticator.Result wrongSecret = authenticator.authenticate(RawClient.authorization(account, 1, secret()));
    Authenticator.Result unknownDevice = authenticator.authenticate(RawClient.authorization(account, 2, primarySecret));
    Authenticator.Result unknownAccount =
        authenticator.authenticate(RawClient.authorization(UUID.randomUUID(), 1, primarySecret));

    assertThat(List.of(wrongSecret, unknownDevice, unknownAccount))
        .allSatisfy(result -> assertThat(result).isInstanceOf(Authenticator.Refused.class))
        .as("a refusal does not reveal which part was wrong")
        .extracting(result -> ((Authenticator.Refused) result).reason())
        .containsOnly(((Authenticator.Refused) wrongSecret).reason());
  }

  @Test
  void theCredentialOfAnUnlinkedCompanionIsRecognisedAsRevoked() {
    byte[] companionSecret = secret();
    int deviceId = storage.accounts().reserveDeviceId(account);
    DeviceRecord companion = StoreFixtures.companion(account, deviceId, Credentials.hash(companionSecret), 2_000);
    storage.accounts().addCompanion(companion, StoreFixtures.keys(1, 0, 0), 1, StoreFixtures.bytes(50), 4);
    storage.accounts().removeDevices(
        account, List.of(deviceId), UnlinkReason.REMOVED_BY_PRIMARY_VALUE, 3_000, 0, null);

    Authenticator.Result result = authenticator.authenticate(RawClient.authorization(account, deviceId, companionSecret));

    assertThat(result).isInstanceOfSatisfying(Authenticator.Revoked.class, revoked -> {
      assertThat(revoked.tombstone().reason()).isEqualTo(UnlinkReason.REMOVED_BY_PRIMARY_VALUE);
      assertThat(revoked.tombstone().at()).isEqualTo(3_000);
    });
    assertThat(authenticator.authenticate(RawClient.authorization(account, deviceId, secret())))
        .as("a wrong secret for a revoked device learns nothing")
        .isInstanceOf(Authenticator.Refused.class);
  }

  @Test
  void afterRegisteringTheNumberAgainTheOldPrimaryIsRevokedAndTheNewOneAuthenticates() {
    byte[] newSecret = secret();
    registerPrimary(newSecret, 9_000);

    assertThat(authenticator.authenticate(RawClient.authorization(account, 1, primarySecret)))
        .isInstanceOfSatisfying(Authenticator.Revoked.class, revoked ->
            assertThat(revoked.tombstone().reason()).isEqualTo(UnlinkReason.REREGISTERED_VALUE));
    assertThat(authenticator.authenticate(RawClient.authorization(account, 1, newSecret)))
        .isInstanceOf(Authenticator.Authenticated.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "Bearer abc",
      "Basic !!!not base64!!!",
      "Basic bm8gY29sb24gaGVyZQ==",      // "no colon here"
      "Basic bm8tZG90OnNlY3JldA==",      // "no-dot:secret"
      "Basic bm90LWEtdXVpZC4xOmFiYw==",  // "not-a-uuid.1:abc"
  })
  void aMalformedHeaderIsRefused(String header) {
    assertThat(authenticator.authenticate(header)).isInstanceOf(Authenticator.Refused.class);
  }

  @Test
  void aMalformedDeviceIdOrSecretIsRefused() {
    String secret = Base64.getEncoder().encodeToString(primarySecret);
    for (String credentials : List.of(account + ".one:" + secret, account + ".1:%%%", account + ".:" + secret)) {
      String header = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
      assertThat(authenticator.authenticate(header)).as(credentials).isInstanceOf(Authenticator.Refused.class);
    }
    assertThat(authenticator.authenticate(null)).isInstanceOf(Authenticator.Refused.class);
  }

  private UUID registerPrimary(byte[] secret, long now) {
    return storage.accounts()
        .registerPrimary(
            PHONE, StoreFixtures.primary(UUID.randomUUID(), Credentials.hash(secret), now),
            StoreFixtures.keys(1, 1, 1), UnlinkReason.REREGISTERED_VALUE)
        .account()
        .id();
  }

  private static byte[] secret() {
    return StoreFixtures.bytes(Credentials.SECRET_BYTES);
  }
}
