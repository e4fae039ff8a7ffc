package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.messages;
import static org.parley.client.Accounts.register;
import static org.parley.client.GroupsIT.receiveMessages;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.MessageEvent;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.Envelope;
import org.parley.protocol.wire.GroupChange;
import org.parley.protocol.wire.GroupMember;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.SignedDeviceList;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.Limits;
import org.parley.server.auth.Credentials;
import org.parley.server.limits.Rates;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.testing.TestServer;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;

/**
 * A sender key for a group of more devices than one request carries (500) goes out in several
 * requests, pipelined: every batch's bundles asked for at once, each batch sent as soon as it is
 * encrypted, its session set-ups spread over threads. The operator serves a forged bundle to a
 * device in the last batch: only that device is left out; a member in the last batch reads the
 * message, and the forged device gets no key.
 */
class LargeGroupHandoverIT {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Accounts of two devices each written into the store: with the sender's, more than one request of 500. */
  private static final int SYNTHETIC = 260;
  static final String ALICE = "+15550000901";
  static final String BOB = "+15550000902";

  @TempDir Path dir;

  @Test
  void aKeyHandedOverInSeveralRequestsReachesTheLastBatchAndLeavesOutOnlyTheForgedBundle() throws Exception {
    String bulk = "1000000,1000000/1ms";
    Rates rates = Rates.defaults().with(Rates.LOOKUPS, bulk).with(Rates.KEY_FETCHES, bulk);
    try (TestServer server =
            TestServer.start(
                dir.resolve("server"), Clock.systemUTC(), b -> b.limits(Limits.defaults().toBuilder().rates(rates).build()));
        Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB)) {
      List<String> phones = new ArrayList<>();
      List<Future<UUID>> created = new ArrayList<>();
      // Concurrent writers share the store's group commits: seconds instead of hundreds of fsyncs in a row.
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 1; i <= SYNTHETIC; i++) {
          String phone = String.format(Locale.ROOT, "+1555%07d", 3_000_000 + i);
          created.add(pool.submit(() -> create(server.server().storage().accounts(), phone)));
          phones.add(phone);
        }
      }
      List<UUID> accounts = new ArrayList<>();
      for (Future<UUID> account : created) {
        accounts.add(account.get());
      }
      // The last synthetic account and Bob come last: both are in the last request.
      UUID forgedAccount = accounts.getLast();
      byte[] forged = ECKeyPair.generate().getPublicKey().serialize();
      server.server().storage().keys().upload(
          new DeviceAddress(forgedAccount, 1),
          new PreKeys.Upload(new PreKeys.Key(4242, forged, new byte[64]), null, List.of(), List.of()));
      phones.add(BOB);

      String group = alice.groups().create("more than one request", phones).id();
      Device.SendResult sent = alice.groups().sendText(group, "to every batch");

      assertThat(sent.declined()).containsExactly(phones.get(SYNTHETIC - 1) + " device 1 (no session)");
      assertThat(messages(receiveMessages(bob, 1))).extracting(MessageEvent::body).containsExactly("to every batch");
      var queues = server.server().storage().queues();
      // The group's notice only, for the device whose bundle was forged; notice, key and message for its companion.
      assertThat(queues.length(new DeviceAddress(forgedAccount, 1))).isEqualTo(1);
      assertThat(queues.length(new DeviceAddress(forgedAccount, 2))).isEqualTo(3);
      assertThat(queues.length(new DeviceAddress(accounts.getFirst(), 2))).isEqualTo(3);

      // A change to the large group costs each member a notice about the size of the signed change itself:
      // not the group's 500 devices, its history and every number again (a creation of 1,024 members once
      // wrote 2,047 notices of 265 KB: 540 MB).
      String newcomer = "+15553999999";
      UUID added = create(server.server().storage().accounts(), newcomer);
      alice.groups().add(group, newcomer);
      GroupChange toMember = lastNotice(server, new DeviceAddress(accounts.getFirst(), 1));
      assertThat(toMember.getGroup().getDevicesCount()).isZero();
      assertThat(toMember.getGroup().getChangesCount()).isZero();
      assertThat(toMember.getGroup().getMembersList()).extracting(GroupMember::getPhone).containsExactlyInAnyOrder(ALICE, newcomer);
      assertThat(toMember.getSerializedSize()).isLessThan(toMember.getSigned().getSerializedSize() + 500);
      // The newcomer knows nobody yet: its notice has every member's number, still no devices.
      GroupChange toNewcomer = lastNotice(server, new DeviceAddress(added, 1));
      assertThat(toNewcomer.getGroup().getMembersCount()).isEqualTo(SYNTHETIC + 3);
      assertThat(toNewcomer.getGroup().getDevicesCount()).isZero();
      alice.groups().sendText(group, "welcome");
      assertThat(messages(receiveMessages(bob, 1))).extracting(MessageEvent::body).containsExactly("welcome");
    }
  }

  private static GroupChange lastNotice(TestServer server, DeviceAddress device) throws Exception {
    byte[] queued = server.server().storage().queues().read(device, 0, 1000).getLast().envelope();
    return GroupChange.parseFrom(Envelope.parseFrom(queued).getContent());
  }

  /**
   * What registration and linking would have stored: real identity keys, signed pre-keys and Kyber
   * last-resort keys, and a device list signed by the primary with the companion's linking proof.
   */
  private static UUID create(org.parley.server.store.Accounts accounts, String phone) {
    long now = System.currentTimeMillis();
    IdentityKeyPair primaryKey = IdentityKeyPair.generate();
    IdentityKeyPair companionKey = IdentityKeyPair.generate();
    UUID account = UUID.randomUUID();
    accounts.registerPrimary(
        phone,
        new DeviceRecord(
            account, 1, registrationId(), primaryKey.getPublicKey().serialize(), Credentials.hash(secret()), "phone",
            DeviceKind.PHONE_VALUE, now, now, null),
        upload(primaryKey),
        UnlinkReason.REREGISTERED_VALUE);
    int companionId = accounts.reserveDeviceId(account);
    byte[] accountSignature =
        DeviceListSignatures.accountSignature(primaryKey, account, companionId, companionKey.getPublicKey(), now);
    byte[] deviceSignature = DeviceListSignatures.deviceSignature(companionKey, accountSignature, primaryKey.getPublicKey());
    SignedDeviceList list =
        DeviceListSignatures.sign(
            DeviceList.newBuilder()
                .setAccountId(account.toString())
                .setVersion(1)
                .setIssuedAt(now)
                .addEntries(
                    DeviceListEntry.newBuilder()
                        .setDeviceId(1)
                        .setIdentityKey(ByteString.copyFrom(primaryKey.getPublicKey().serialize()))
                        .setKind(DeviceKind.PHONE)
                        .setName("phone"))
                .addEntries(
                    DeviceListEntry.newBuilder()
                        .setDeviceId(companionId)
                        .setIdentityKey(ByteString.copyFrom(companionKey.getPublicKey().serialize()))
                        .setAddedAt(now)
                        .setKind(DeviceKind.DESKTOP)
                        .setName("laptop")
                        .setAccountSignature(ByteString.copyFrom(accountSignature)))
                .build(),
            primaryKey);
    DeviceRecord companion =
        new DeviceRecord(
            account, companionId, registrationId(), companionKey.getPublicKey().serialize(), Credentials.hash(secret()),
            "laptop", DeviceKind.DESKTOP_VALUE, now, now, deviceSignature);
    assertThat(accounts.addCompanion(companion, upload(companionKey), 1, list.toByteArray(), 4))
        .isEqualTo(org.parley.server.store.Accounts.LinkResult.LINKED);
    return account;
  }

  private static PreKeys.Upload upload(IdentityKeyPair identity) {
    byte[] signedPreKey = ECKeyPair.generate().getPublicKey().serialize();
    byte[] kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024).getPublicKey().serialize();
    return new PreKeys.Upload(
        new PreKeys.Key(1, signedPreKey, identity.getPrivateKey().calculateSignature(signedPreKey)),
        new PreKeys.Key(2, kyber, identity.getPrivateKey().calculateSignature(kyber)),
        List.of(),
        List.of());
  }

  private static byte[] secret() {
    byte[] secret = new byte[Credentials.SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return secret;
  }

  private static int registrationId() {
    return 1 + RANDOM.nextInt(16380);
  }
}
