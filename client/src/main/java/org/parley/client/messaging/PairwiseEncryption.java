package org.parley.client.messaging;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.parley.client.ClientException;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.DeviceKeys;
import org.parley.protocol.wire.OutgoingMessage;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SessionBuilder;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.kem.KEMPublicKey;
import org.signal.libsignal.protocol.message.CiphertextMessage;
import org.signal.libsignal.protocol.state.PreKeyBundle;
import org.signal.libsignal.protocol.state.SignalProtocolStore;

/**
 * The pairwise crypto of one send (docs/PROTOCOL.md §7): starts the sessions it lacks from fetched
 * pre-key bundles and encrypts the content to every device, in one profile transaction. A send to
 * many devices (a sender key handed to a large group: two thousand session set-ups, each a signature
 * check, three or four X25519 agreements and a Kyber encapsulation) is split by account over the
 * device's {@link EncryptionThreads}, each share with its own {@link DetachedSessions}; the profile is
 * read before and written after by the thread that holds its lock, never by the others.
 */
final class PairwiseEncryption {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PairwiseEncryption.class);

  private final ProfileStore profile;
  private final SignalStore signal;
  private final DeviceDirectory directory;
  private final Clock clock;
  private final EncryptionThreads threads;

  PairwiseEncryption(
      ProfileStore profile, SignalStore signal, DeviceDirectory directory, Clock clock, EncryptionThreads threads) {
    this.profile = profile;
    this.signal = signal;
    this.directory = directory;
    this.clock = clock;
    this.threads = threads;
  }

  /** One device of a send: a session is started from {@code bundle} first if it has none. */
  static final class Job {
    final SignalProtocolAddress address;
    final DeviceKeys bundle;
    final byte[] padded;
    private OutgoingMessage message;

    Job(SignalProtocolAddress address, DeviceKeys bundle, byte[] padded) {
      this.address = address;
      this.bundle = bundle;
      this.padded = padded;
    }

    /** The envelope for this device, or {@code null}: no session could be started with it. */
    OutgoingMessage message() {
      return message;
    }
  }

  /**
   * Runs every job. The sessions started and advanced are stored even when an encryption fails (and
   * that failure is thrown after the commit): the one-time pre-keys their bundles spent are gone.
   */
  void run(List<Job> jobs) {
    RuntimeException failure = profile.transaction(c -> {
      List<Share> shares = split(jobs);
      for (Share share : shares) {
        share.jobs.forEach(job -> share.store.load(signal, directory, job.address));
      }
      RuntimeException failed = runAll(shares);
      shares.forEach(share -> share.store.writeBack(signal));
      return failed;
    });
    if (failure != null) {
      throw failure;
    }
  }

  /** Jobs of one thread: whole accounts, so no device's session is in two of them. */
  private final class Share {
    final List<Job> jobs = new ArrayList<>();
    final DetachedSessions store = new DetachedSessions(signal);

    void run() {
      for (Job job : jobs) {
        if (job.bundle != null && !store.containsSession(job.address)) {
          try {
            startSession(store, job.address, job.bundle, clock);
          } catch (RuntimeException e) {
            // One invalid bundle (the operator can serve one) must not undo the sessions started with
            // the others, whose one-time pre-keys are spent: that device is left without a session
            // and reported as not reached, like one with no keys.
            log.warn("no session with {}: {}", job.address, e.getMessage());
          }
        }
        if (store.containsSession(job.address)) {
          job.message = encryptOne(store, job.address, job.padded, clock);
        }
      }
    }
  }

  /**
   * Whole accounts round-robin over as many shares as there are accounts and {@link
   * EncryptionThreads#width()}, when there is a session to start; a send over sessions already started
   * (a few microseconds a device) stays on this thread. A send to two new accounts already uses two:
   * handing a share to a waiting thread costs far less than one session set-up, and the attacker tests
   * then cover the shared path too.
   */
  private List<Share> split(List<Job> jobs) {
    Map<String, List<Job>> byAccount = new LinkedHashMap<>();
    boolean setUps = false;
    for (Job job : jobs) {
      byAccount.computeIfAbsent(job.address.getName(), a -> new ArrayList<>()).add(job);
      setUps |= job.bundle != null;
    }
    int count = setUps ? Math.max(1, Math.min(byAccount.size(), threads.width())) : 1;
    List<Share> shares = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      shares.add(new Share());
    }
    int next = 0;
    for (List<Job> account : byAccount.values()) {
      shares.get(next++ % count).jobs.addAll(account);
    }
    return shares;
  }

  /**
   * Runs the first share here and the others on the device's threads; the first failure, if any, once
   * every share is done (their stores are written back next).
   */
  private RuntimeException runAll(List<Share> shares) {
    List<Future<?>> others = new ArrayList<>();
    for (Share share : shares.subList(1, shares.size())) {
      others.add(threads.submit(share::run));
    }
    RuntimeException failure = attempt(shares.getFirst()::run);
    boolean interrupted = false;
    for (Future<?> other : others) {
      while (true) {
        try {
          other.get();
          break;
        } catch (ExecutionException e) {
          if (failure == null) {
            failure =
                e.getCause() instanceof RuntimeException runtime
                    ? runtime
                    : new ClientException("encryption failed: " + e.getCause(), e.getCause());
          }
          break;
        } catch (InterruptedException e) {
          // Wait on: the share still uses its store, which is written back once they are all done.
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return failure;
  }

  private static RuntimeException attempt(Runnable work) {
    try {
      work.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  /** Starts a session from a bundle whose identity the caller checked against the vouched list. */
  static void startSession(SignalProtocolStore store, SignalProtocolAddress address, DeviceKeys keys, Clock clock) {
    try {
      PreKeyBundle bundle =
          new PreKeyBundle(
              keys.getRegistrationId(),
              keys.getDeviceId(),
              keys.hasPreKey() ? keys.getPreKey().getId() : PreKeyBundle.NULL_PRE_KEY_ID,
              keys.hasPreKey() ? new ECPublicKey(keys.getPreKey().getPublicKey().toByteArray()) : null,
              keys.getSignedPreKey().getId(),
              new ECPublicKey(keys.getSignedPreKey().getPublicKey().toByteArray()),
              keys.getSignedPreKey().getSignature().toByteArray(),
              new IdentityKey(keys.getIdentityKey().toByteArray()),
              keys.getKyberPreKey().getId(),
              new KEMPublicKey(keys.getKyberPreKey().getPublicKey().toByteArray()),
              keys.getKyberPreKey().getSignature().toByteArray());
      new SessionBuilder(store, address).process(bundle, Instant.ofEpochMilli(clock.millis()));
    } catch (InvalidKeyException | UntrustedIdentityException e) {
      throw new ClientException(
          "the pre-keys of device " + keys.getDeviceId() + " are invalid (" + e.getMessage() + "); not sending to it",
          e);
    }
  }

  static OutgoingMessage encryptOne(SignalProtocolStore store, SignalProtocolAddress address, byte[] padded, Clock clock) {
    try {
      SessionCipher cipher = new SessionCipher(store, address);
      CiphertextMessage message = cipher.encrypt(padded, Instant.ofEpochMilli(clock.millis()));
      return OutgoingMessage.newBuilder()
          .setDestinationAccount(address.getName())
          .setDestinationDevice(address.getDeviceId())
          .setDestinationRegistrationId(cipher.getRemoteRegistrationId())
          .setType(
              message.getType() == CiphertextMessage.PREKEY_TYPE ? CiphertextType.PREKEY : CiphertextType.WHISPER)
          .setContent(ByteString.copyFrom(message.serialize()))
          .build();
    } catch (NoSessionException | UntrustedIdentityException e) {
      throw new ClientException("cannot encrypt to " + address + ": " + e.getMessage(), e);
    }
  }
}
