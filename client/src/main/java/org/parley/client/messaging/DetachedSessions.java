package org.parley.client.messaging;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.parley.client.store.SignalStore;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.ecc.ECPublicKey;
import org.signal.libsignal.protocol.groups.state.SenderKeyRecord;
import org.signal.libsignal.protocol.state.KyberPreKeyRecord;
import org.signal.libsignal.protocol.state.PreKeyRecord;
import org.signal.libsignal.protocol.state.SessionRecord;
import org.signal.libsignal.protocol.state.SignalProtocolStore;
import org.signal.libsignal.protocol.state.SignedPreKeyRecord;

/**
 * libsignal's stores for a few devices of one send, held in memory: what starting their sessions and
 * encrypting to them needs is read from the profile first ({@link #load}, by the thread that holds the
 * profile's lock), the crypto then runs on any one thread without touching the profile, and what it
 * changed is written back after ({@link #writeBack}, same thread and transaction as the load). So the
 * session set-up and encryption for a thousand devices can use every core while the profile's one
 * connection stays with one thread.
 *
 * <p>Identity pinning is the profile's ({@link SignalStore#isTrustedIdentity}): a key is trusted
 * exactly when it is the one the last verified device list vouches for at that device (read at load).
 * An instance is used by one thread at a time; a device is in one instance only, so no session is
 * ever advanced from two copies.
 */
final class DetachedSessions implements SignalProtocolStore {
  private record Address(String name, int deviceId) {
    static Address of(SignalProtocolAddress address) {
      return new Address(address.getName(), address.getDeviceId());
    }
  }

  private final IdentityKeyPair identity;
  private final int registrationId;
  private final Map<Address, SessionRecord> sessions = new HashMap<>();
  private final Map<Address, IdentityKey> identities = new HashMap<>();
  private final Map<Address, byte[]> vouched = new HashMap<>();
  private final Set<Address> loaded = new LinkedHashSet<>();
  private final Set<Address> changedSessions = new LinkedHashSet<>();
  private final Set<Address> changedIdentities = new LinkedHashSet<>();

  DetachedSessions(SignalStore signal) {
    this.identity = signal.getIdentityKeyPair();
    this.registrationId = signal.getLocalRegistrationId();
  }

  /** Reads a device's session, stored identity and vouched key from the profile (under its lock). */
  void load(SignalStore signal, DeviceDirectory directory, SignalProtocolAddress address) {
    Address key = Address.of(address);
    if (!loaded.add(key)) {
      return;
    }
    SessionRecord session = signal.loadSession(address);
    if (session != null) {
      sessions.put(key, session);
    }
    IdentityKey stored = signal.getIdentity(address);
    if (stored != null) {
      identities.put(key, stored);
    }
    byte[] vouchedKey = directory.vouchedKey(UUID.fromString(address.getName()), address.getDeviceId());
    if (vouchedKey != null) {
      vouched.put(key, vouchedKey);
    }
  }

  /** Writes the sessions and identities libsignal changed to the profile (same thread and lock as the load). */
  void writeBack(SignalStore signal) {
    for (Address key : changedIdentities) {
      signal.saveIdentity(new SignalProtocolAddress(key.name(), key.deviceId()), identities.get(key));
    }
    for (Address key : changedSessions) {
      signal.storeSession(new SignalProtocolAddress(key.name(), key.deviceId()), sessions.get(key));
    }
    changedIdentities.clear();
    changedSessions.clear();
  }

  private Address known(SignalProtocolAddress address) {
    Address key = Address.of(address);
    if (!loaded.contains(key)) {
      // Reading the profile from here could deadlock (its lock is held by the thread waiting for this one).
      throw new IllegalStateException(address + " was not loaded into this send's sessions");
    }
    return key;
  }

  // ------------------------------------------------------------------ identities

  @Override
  public IdentityKeyPair getIdentityKeyPair() {
    return identity;
  }

  @Override
  public int getLocalRegistrationId() {
    return registrationId;
  }

  @Override
  public IdentityChange saveIdentity(SignalProtocolAddress address, IdentityKey identityKey) {
    Address key = known(address);
    IdentityKey existing = identities.get(key);
    if (identityKey.equals(existing)) {
      return IdentityChange.NEW_OR_UNCHANGED;
    }
    identities.put(key, identityKey);
    changedIdentities.add(key);
    return existing == null ? IdentityChange.NEW_OR_UNCHANGED : IdentityChange.REPLACED_EXISTING;
  }

  @Override
  public boolean isTrustedIdentity(SignalProtocolAddress address, IdentityKey identityKey, Direction direction) {
    byte[] key = vouched.get(known(address));
    return key != null && Arrays.equals(key, identityKey.serialize());
  }

  @Override
  public IdentityKey getIdentity(SignalProtocolAddress address) {
    return identities.get(known(address));
  }

  // ------------------------------------------------------------------ sessions

  @Override
  public SessionRecord loadSession(SignalProtocolAddress address) {
    return sessions.get(known(address));
  }

  @Override
  public List<SessionRecord> loadExistingSessions(List<SignalProtocolAddress> addresses) throws NoSessionException {
    List<SessionRecord> out = new ArrayList<>(addresses.size());
    for (SignalProtocolAddress address : addresses) {
      SessionRecord record = loadSession(address);
      if (record == null) {
        throw new NoSessionException(address, "no session for " + address);
      }
      out.add(record);
    }
    return out;
  }

  @Override
  public void storeSession(SignalProtocolAddress address, SessionRecord record) {
    Address key = known(address);
    sessions.put(key, record);
    changedSessions.add(key);
  }

  @Override
  public boolean containsSession(SignalProtocolAddress address) {
    SessionRecord record = loadSession(address);
    return record != null && record.hasSenderChain();
  }

  // ------------------------------------------------------------------ not part of sending

  @Override
  public List<Integer> getSubDeviceSessions(String name) {
    throw notForSending();
  }

  @Override
  public void deleteSession(SignalProtocolAddress address) {
    throw notForSending();
  }

  @Override
  public void deleteAllSessions(String name) {
    throw notForSending();
  }

  @Override
  public PreKeyRecord loadPreKey(int preKeyId) {
    throw notForSending();
  }

  @Override
  public void storePreKey(int preKeyId, PreKeyRecord record) {
    throw notForSending();
  }

  @Override
  public boolean containsPreKey(int preKeyId) {
    throw notForSending();
  }

  @Override
  public void removePreKey(int preKeyId) {
    throw notForSending();
  }

  @Override
  public SignedPreKeyRecord loadSignedPreKey(int signedPreKeyId) {
    throw notForSending();
  }

  @Override
  public List<SignedPreKeyRecord> loadSignedPreKeys() {
    throw notForSending();
  }

  @Override
  public void storeSignedPreKey(int signedPreKeyId, SignedPreKeyRecord record) {
    throw notForSending();
  }

  @Override
  public boolean containsSignedPreKey(int signedPreKeyId) {
    throw notForSending();
  }

  @Override
  public void removeSignedPreKey(int signedPreKeyId) {
    throw notForSending();
  }

  @Override
  public KyberPreKeyRecord loadKyberPreKey(int kyberPreKeyId) {
    throw notForSending();
  }

  @Override
  public List<KyberPreKeyRecord> loadKyberPreKeys() {
    throw notForSending();
  }

  @Override
  public void storeKyberPreKey(int kyberPreKeyId, KyberPreKeyRecord record) {
    throw notForSending();
  }

  @Override
  public boolean containsKyberPreKey(int kyberPreKeyId) {
    throw notForSending();
  }

  @Override
  public void markKyberPreKeyUsed(int kyberPreKeyId, int signedPreKeyId, ECPublicKey baseKey) {
    throw notForSending();
  }

  @Override
  public void storeSenderKey(SignalProtocolAddress sender, UUID distributionId, SenderKeyRecord record) {
    throw notForSending();
  }

  @Override
  public SenderKeyRecord loadSenderKey(SignalProtocolAddress sender, UUID distributionId) {
    throw notForSending();
  }

  private static UnsupportedOperationException notForSending() {
    // Starting sessions and encrypting never reach these; receiving uses the profile's own store.
    return new UnsupportedOperationException("not part of a send's detached sessions");
  }
}
