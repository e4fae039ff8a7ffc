package org.parley.bench.population;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.parley.bench.net.WsClient;
import org.parley.bench.net.WsConnection;
import org.parley.bench.server.ServerHandle;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.wire.CreateLinkToken;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.DeviceList;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.LinkDevice;
import org.parley.protocol.wire.LinkToken;
import org.parley.protocol.wire.NewDevice;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Registered;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.SendProvisioning;
import org.signal.libsignal.protocol.IdentityKey;

/**
 * Registers the bench's accounts over the real protocol: a verification code requested and read
 * from the server's console, a primary registered with it, then companions linked by the real
 * linking exchange (link token from the primary, provisioning socket, signed device list and both
 * halves of the linking proof). Only the QR code itself is skipped: the bench is both devices.
 */
public final class Population {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ServerHandle server;
  private final WsClient client;
  private final KeyPool keys;
  private final String phonePrefix;
  private final AtomicInteger registrationIds = new AtomicInteger();

  public Population(ServerHandle server, WsClient client, KeyPool keys) {
    this.server = server;
    this.client = client;
    this.keys = keys;
    // +1 9 TT NNNNNNNN: a run tag keeps runs against one long-lived server from re-registering
    // (and so unlinking) each other's numbers.
    this.phonePrefix = "+19" + String.format("%02d", RANDOM.nextInt(100));
  }

  /**
   * Registers {@code users} accounts of {@code devicesPerUser} devices each, {@code parallelism}
   * at a time; prints progress to stderr every 10 s.
   */
  public List<BenchUser> register(int users, int devicesPerUser, int parallelism) {
    AtomicReferenceArray<BenchUser> done = new AtomicReferenceArray<>(users);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    long start = System.nanoTime();
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
      for (int w = 0; w < Math.min(parallelism, users); w++) {
        tasks.add(workers.submit(() -> {
          WsConnection anonymous = client.connect("/v1/websocket", null, push -> {}).join();
          try {
            for (int i = next.getAndIncrement(); i < users; i = next.getAndIncrement()) {
              done.set(i, registerUser(anonymous, i, devicesPerUser));
              finished.incrementAndGet();
            }
          } finally {
            anonymous.close();
          }
          return null;
        }));
      }
      Thread progress = Thread.ofVirtual().start(() -> {
        try {
          while (true) {
            Thread.sleep(10_000);
            System.err.printf("registered %d of %d accounts (%.0f s)%n",
                finished.get(), users, (System.nanoTime() - start) / 1e9);
          }
        } catch (InterruptedException e) {
          // done
        }
      });
      try {
        for (var task : tasks) {
          task.get();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while registering", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(
            "registering the bench accounts failed: " + e.getCause().getMessage()
                + " (is the server running with the bench's raised rate limits? see 'parley-bench server --help')",
            e.getCause());
      } finally {
        progress.interrupt();
      }
    }
    List<BenchUser> out = new ArrayList<>(users);
    for (int i = 0; i < users; i++) {
      out.add(done.get(i));
    }
    return out;
  }

  private BenchUser registerUser(WsConnection anonymous, int index, int devicesPerUser) throws Exception {
    String phone = phonePrefix + String.format("%08d", index);
    CompletableFuture<String> code = server.code(phone);
    anonymous.call(Request.newBuilder().setRequestCode(RequestCode.newBuilder().setPhone(phone))).join();
    KeyPool.Identity identity = keys.get(index);
    byte[] credential = credential();
    int registrationId = nextRegistrationId();
    Registered registered =
        anonymous
            .call(
                Request.newBuilder()
                    .setRegister(
                        Register.newBuilder()
                            .setPhone(phone)
                            .setCode(code.get(30, TimeUnit.SECONDS))
                            .setDevice(newDevice(identity, registrationId, credential, "bench primary"))))
            .join()
            .getRegistered();
    UUID account = UUID.fromString(registered.getAccountId());
    List<BenchDevice> devices = new ArrayList<>();
    devices.add(new BenchDevice(account, registered.getDeviceId(), registrationId, credential));
    if (devicesPerUser > 1) {
      linkCompanions(identity, devices, index, devicesPerUser - 1);
    }
    return new BenchUser(phone, account, List.copyOf(devices));
  }

  private void linkCompanions(KeyPool.Identity primaryIdentity, List<BenchDevice> devices, int index, int count) {
    BenchDevice primary = devices.get(0);
    WsConnection primaryConnection =
        client.connect("/v1/websocket?deliver=false", primary.authorization(), push -> {}).join();
    try {
      List<DeviceListEntry> entries = new ArrayList<>();
      entries.add(
          DeviceListEntry.newBuilder()
              .setDeviceId(DeviceListSignatures.PRIMARY_DEVICE_ID)
              .setIdentityKey(primaryIdentity.publicKey())
              .setKind(DeviceKind.PHONE)
              .setName("bench primary")
              .build());
      for (int c = 0; c < count; c++) {
        entries.add(linkOne(primaryIdentity, primary, primaryConnection, entries, devices, index + 1 + c));
      }
    } finally {
      primaryConnection.close();
    }
  }

  private DeviceListEntry linkOne(
      KeyPool.Identity primaryIdentity,
      BenchDevice primary,
      WsConnection primaryConnection,
      List<DeviceListEntry> entries,
      List<BenchDevice> devices,
      int keyIndex) {
    CompletableFuture<String> address = new CompletableFuture<>();
    CompletableFuture<Void> provisioned = new CompletableFuture<>();
    WsConnection provisioning =
        client
            .connect("/v1/provisioning", null, push -> {
              if (push.hasProvisioningAddress()) {
                address.complete(push.getProvisioningAddress().getAddress());
              } else if (push.hasProvisioningMessage()) {
                provisioned.complete(null);
              }
            })
            .join();
    try {
      LinkToken token =
          primaryConnection
              .call(Request.newBuilder().setCreateLinkToken(CreateLinkToken.newBuilder().setProvisioningAddress(address.join())))
              .join()
              .getLinkToken();
      // As a real primary does: the token reaches the companion in a provisioning message (here an
      // empty one: the bench holds both sides). On a cluster the token is usable on the
      // companion's node only once that message got there.
      primaryConnection
          .call(Request.newBuilder().setSendProvisioning(SendProvisioning.newBuilder().setAddress(address.join())))
          .join();
      provisioned.orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join();
      KeyPool.Identity companion = keys.get(keyIndex);
      long linkedAt = System.currentTimeMillis();
      IdentityKey companionKey = companion.pair().getPublicKey();
      byte[] accountSignature =
          DeviceListSignatures.accountSignature(
              primaryIdentity.pair(), primary.account(), token.getDeviceId(), companionKey, linkedAt);
      byte[] deviceSignature =
          DeviceListSignatures.deviceSignature(
              companion.pair(), accountSignature, primaryIdentity.pair().getPublicKey());
      DeviceListEntry entry =
          DeviceListEntry.newBuilder()
              .setDeviceId(token.getDeviceId())
              .setIdentityKey(companion.publicKey())
              .setAddedAt(linkedAt)
              .setKind(DeviceKind.DESKTOP)
              .setName("bench companion")
              .setAccountSignature(ByteString.copyFrom(accountSignature))
              .build();
      List<DeviceListEntry> next = new ArrayList<>(entries);
      next.add(entry);
      var list =
          DeviceListSignatures.sign(
              DeviceList.newBuilder()
                  .setAccountId(primary.accountId())
                  .setVersion(token.getNextDeviceListVersion())
                  .setIssuedAt(linkedAt)
                  .addAllEntries(next)
                  .build(),
              primaryIdentity.pair());
      byte[] credential = credential();
      int registrationId = nextRegistrationId();
      var linked =
          provisioning
              .call(
                  Request.newBuilder()
                      .setLinkDevice(
                          LinkDevice.newBuilder()
                              .setToken(token.getToken())
                              .setDevice(newDevice(companion, registrationId, credential, "bench companion"))
                              .setAccountSignature(ByteString.copyFrom(accountSignature))
                              .setDeviceSignature(ByteString.copyFrom(deviceSignature))
                              .setDeviceList(list)))
              .join()
              .getLinked();
      devices.add(new BenchDevice(primary.account(), linked.getDeviceId(), registrationId, credential));
      return entry;
    } finally {
      provisioning.close();
    }
  }

  private static NewDevice newDevice(KeyPool.Identity identity, int registrationId, byte[] credential, String name) {
    return NewDevice.newBuilder()
        .setIdentityKey(identity.publicKey())
        .setRegistrationId(registrationId)
        .setCredential(ByteString.copyFrom(credential))
        .setName(name)
        .setKind(DeviceKind.DESKTOP)
        .setKeys(identity.keys())
        .build();
  }

  private int nextRegistrationId() {
    return 1 + Math.floorMod(registrationIds.getAndIncrement(), 16380);
  }

  private static byte[] credential() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return secret;
  }
}
