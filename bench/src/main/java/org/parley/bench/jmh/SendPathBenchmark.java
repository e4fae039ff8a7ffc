package org.parley.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.parley.bench.server.InProcessServer;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.store.Contacts;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyPair;
import org.signal.libsignal.protocol.kem.KEMKeyType;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.SignalProtocolStore;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;
import org.signal.libsignal.protocol.state.impl.InMemorySignalProtocolStore;
import org.signal.libsignal.protocol.util.KeyHelper;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The client's send path, per device envelope, at three depths, so that what our stores add on top
 * of libsignal is visible:
 *
 * <ol>
 *   <li>{@code rawLibsignal}: libsignal's in-memory stores, one established session per device;
 *       the floor.
 *   <li>{@code parleyStores}: the same encryption through the client's own {@link SignalStore}
 *       over its SQLite profile, all envelopes of one message in one profile transaction, exactly
 *       as {@code MessageSender} encrypts (one commit, so one fsync, per message).
 *   <li>{@code deviceSendText}: the real {@link Device#sendText} to a one-device contact through an
 *       in-process relay: padding, content encoding, the encryption above, the request, the
 *       server's durable commit and the local history entry. One envelope per message.
 * </ol>
 *
 * A message here goes to {@link #ENVELOPES} devices: a contact with two devices plus the sender's
 * one other device, the default of the relay benchmark.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SendPathBenchmark {
  static final int ENVELOPES = 3;

  /** A sender with an established (acknowledged) session to each of {@link #ENVELOPES} devices. */
  abstract static class Sessions {
    /** Plaintext bytes per message, as the relay benchmark's default payload. */
    static final int PAYLOAD = 256;

    byte[] plaintext;
    final List<SignalProtocolAddress> devices = new ArrayList<>();

    void establish(SignalProtocolStore sender) throws Exception {
      establish(sender, (address, identity) -> {});
    }

    /** {@code vouch} is told each peer's device and identity before a session with it is built. */
    void establish(SignalProtocolStore sender, java.util.function.BiConsumer<SignalProtocolAddress, IdentityKeyPair> vouch)
        throws Exception {
      plaintext = new byte[PAYLOAD];
      ThreadLocalRandom.current().nextBytes(plaintext);
      for (int d = 1; d <= ENVELOPES; d++) {
        SignalProtocolAddress address = new SignalProtocolAddress(java.util.UUID.randomUUID().toString(), 1);
        InMemorySignalProtocolStore peer = new InMemorySignalProtocolStore(IdentityKeyPair.generate(), KeyHelper.generateRegistrationId(false));
        vouch.accept(address, peer.getIdentityKeyPair());
        new SessionBuilder(sender, address).process(bundle(peer), Instant.now());
        SignalProtocolAddress senderAddress = new SignalProtocolAddress("sender", 1);
        SessionCipher toPeer = new SessionCipher(sender, address);
        SessionCipher atPeer = new SessionCipher(peer, senderAddress);
        CiphertextMessage first = toPeer.encrypt(plaintext, Instant.now());
        atPeer.decrypt(new PreKeySignalMessage(first.serialize()));
        // A reply acknowledges the session, so later messages are plain Whisper messages.
        CiphertextMessage reply = atPeer.encrypt(plaintext, Instant.now());
        toPeer.decrypt(new SignalMessage(reply.serialize()));
        devices.add(address);
      }
    }

    private static PreKeyBundle bundle(InMemorySignalProtocolStore peer) throws Exception {
      IdentityKeyPair identity = peer.getIdentityKeyPair();
      ECKeyPair signed = ECKeyPair.generate();
      byte[] signedSignature = identity.getPrivateKey().calculateSignature(signed.getPublicKey().serialize());
      peer.storeSignedPreKey(1, new SignedPreKeyRecord(1, System.currentTimeMillis(), signed, signedSignature));
      KEMKeyPair kyber = KEMKeyPair.generate(KEMKeyType.KYBER_1024);
      byte[] kyberSignature = identity.getPrivateKey().calculateSignature(kyber.getPublicKey().serialize());
      peer.storeKyberPreKey(1, new KyberPreKeyRecord(1, System.currentTimeMillis(), kyber, kyberSignature));
      return new PreKeyBundle(
          peer.getLocalRegistrationId(), 1, PreKeyBundle.NULL_PRE_KEY_ID, null,
          1, signed.getPublicKey(), signedSignature, identity.getPublicKey(),
          1, kyber.getPublicKey(), kyberSignature);
    }
  }

  @State(Scope.Thread)
  public static class InMemory extends Sessions {
    InMemorySignalProtocolStore store;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      store = new InMemorySignalProtocolStore(IdentityKeyPair.generate(), KeyHelper.generateRegistrationId(false));
      establish(store);
    }
  }

  @State(Scope.Thread)
  public static class Profile extends Sessions {
    Path directory;
    ProfileStore profile;
    SignalStore store;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      directory = Files.createTempDirectory("parley-jmh-profile");
      profile = ProfileStore.open(directory);
      store = new SignalStore(profile, java.time.Clock.systemUTC());
      store.initialize(IdentityKeyPair.generate(), KeyHelper.generateRegistrationId(false));
      // Identity pinning: the store trusts only keys a verified device list vouched for.
      Contacts contacts = new Contacts(profile);
      establish(store, (address, identity) -> {
        byte[] key = identity.getPublicKey().serialize();
        contacts.verified(
            java.util.UUID.fromString(address.getName()), "+1555000000" + address.getDeviceId(),
            new Contacts.Verification(key, null, 1, new byte[32], false, null), System.currentTimeMillis(),
            List.of(new Contacts.KnownDevice(address.getDeviceId(), 1, key, true, "peer", 1)));
      });
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      profile.close();
      deleteTree(directory);
    }
  }

  /** Two registered devices and a relay, all in this JVM. */
  @State(Scope.Thread)
  public static class RealDevices {
    static final String ALICE = "+15550000001";
    static final String BOB = "+15550000002";

    Path directory;
    InProcessServer server;
    Device alice;
    Device bob;
    String text;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      directory = Files.createTempDirectory("parley-jmh-devices");
      server = new InProcessServer(directory.resolve("server"));
      alice = register(directory.resolve("alice"), ALICE);
      bob = register(directory.resolve("bob"), BOB);
      text = "x".repeat(200);
      alice.sendText(BOB, text); // the session set-up (pre-key fetch) is not what is measured
    }

    private Device register(Path profile, String phone) {
      Device device = Device.open(profile, ClientConfig.defaults());
      device.requestCode(server.url(), phone, "jmh");
      device.verify(server.code(phone).join());
      return device;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      alice.close();
      bob.close();
      server.close();
      deleteTree(directory);
    }
  }

  @Benchmark
  @OperationsPerInvocation(ENVELOPES)
  public void rawLibsignal(InMemory state, Blackhole sink) throws Exception {
    for (SignalProtocolAddress device : state.devices) {
      sink.consume(new SessionCipher(state.store, device).encrypt(state.plaintext, Instant.now()).serialize());
    }
  }

  @Benchmark
  @OperationsPerInvocation(ENVELOPES)
  public void parleyStores(Profile state, Blackhole sink) {
    state.profile.transaction(c -> {
      for (SignalProtocolAddress device : state.devices) {
        try {
          sink.consume(new SessionCipher(state.store, device).encrypt(state.plaintext, Instant.now()).serialize());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      return null;
    });
  }

  @Benchmark
  public Object deviceSendText(RealDevices state) {
    return state.alice.sendText(RealDevices.BOB, state.text);
  }

  static void deleteTree(Path directory) throws IOException {
    try (var paths = Files.walk(directory)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
