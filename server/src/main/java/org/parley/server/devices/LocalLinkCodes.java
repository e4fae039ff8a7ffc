package org.parley.server.devices;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.wire.DeviceKind;
import org.parley.server.transport.ApiException;

/**
 * The link codes of a lone node, in its memory beside the provisioning sockets they belong to
 * (the embedded server; a cluster shares them in Redis, {@link RedisLinkCodes}). Found by slot, by
 * socket and by client, and kept in order of expiry, so no step looks at every code.
 */
public final class LocalLinkCodes implements LinkCodes {
  /** One code and what is counted on it, guarded by itself. */
  private static final class Held {
    volatile Code code;
    int claims;
    int wrong;
    /** The accounts that claimed this code (at most {@value LinkCodes#MAX_ATTEMPTS}): only they see its status. */
    final Set<String> claimers = new HashSet<>();

    Held(Code code) {
      this.code = code;
    }
  }

  /** Soonest expiry first; the slot tells codes of the same millisecond apart (a substitute keeps both). */
  private static final Comparator<Held> BY_EXPIRY =
      Comparator.comparingLong((Held h) -> h.code.expiresAt()).thenComparing(h -> h.code.slot());

  private final Clock clock;
  private final Map<String, Held> bySlot = new ConcurrentHashMap<>();
  /** A socket shows at most one code. */
  private final Map<String, Held> bySocket = new ConcurrentHashMap<>();
  /**
   * Every code is added and removed under this lock, in all four indexes at once: two racing
   * registrations must not give one socket two codes, nor push a count past its bound. Reads by
   * slot or socket take no lock.
   */
  private final Object lock = new Object();
  /** A client's codes, at most {@value LinkCodes#MAX_CODES_PER_CLIENT}; under {@link #lock}. */
  private final Map<String, List<Held>> byClient = new HashMap<>();
  /** Under {@link #lock}. */
  private final TreeSet<Held> byExpiry = new TreeSet<>(BY_EXPIRY);

  public LocalLinkCodes(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Code register(String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind)
      throws ApiException {
    LinkCodes.checkInput(slot, wrapped, name);
    long now = clock.millis();
    synchronized (lock) {
      while (!byExpiry.isEmpty() && byExpiry.first().code.expiresAt() < now) {
        remove(byExpiry.first());
      }
      if (bySocket.containsKey(address)) {
        throw LinkCodes.socketShowsOne();
      }
      List<Held> fromClient = byClient.getOrDefault(client, List.of());
      if (fromClient.size() >= MAX_CODES_PER_CLIENT) {
        throw LinkCodes.clientFull(LinkCodes.until(Collections.min(fromClient, BY_EXPIRY).code.expiresAt(), now));
      }
      if (bySlot.size() >= MAX_CODES) {
        throw LinkCodes.serverFull(LinkCodes.until(byExpiry.first().code.expiresAt(), now));
      }
      if (bySlot.containsKey(slot)) {
        throw LinkCodes.slotTaken();
      }
      Held held = new Held(new Code(address, client, slot, wrapped, name, kind, now + TTL.toMillis()));
      bySlot.put(slot, held);
      bySocket.put(address, held);
      byClient.computeIfAbsent(client, c -> new ArrayList<>(MAX_CODES_PER_CLIENT)).add(held);
      byExpiry.add(held);
      return held.code;
    }
  }

  /** Takes a code out of every index, if it is still in them. */
  private void remove(Held held) {
    synchronized (lock) {
      Code code = held.code;
      if (!bySlot.remove(code.slot(), held)) {
        return;
      }
      bySocket.remove(code.address(), held);
      List<Held> fromClient = byClient.get(code.client());
      fromClient.remove(held);
      if (fromClient.isEmpty()) {
        byClient.remove(code.client());
      }
      byExpiry.remove(held);
    }
  }

  @Override
  public Claim claim(String slot, String account) throws ApiException {
    Held held = bySlot.get(slot);
    if (held == null) {
      throw LinkCodes.unknown();
    }
    if (held.code.expiresAt() < clock.millis()) {
      remove(held);
      throw LinkCodes.expired();
    }
    synchronized (held) {
      if (held.claims >= MAX_ATTEMPTS) {
        throw LinkCodes.usedUp();
      }
      held.claims++;
      held.claimers.add(account);
      return new Claim(held.code, held.claims);
    }
  }

  @Override
  public void wrong(String address) {
    Held held = bySocket.get(address);
    if (held != null) {
      synchronized (held) {
        held.wrong++;
      }
    }
  }

  @Override
  public Progress status(String slot, String account) throws ApiException {
    Held held = bySlot.get(slot);
    if (held == null) {
      throw LinkCodes.unknown();
    }
    synchronized (held) {
      if (!held.claimers.contains(account)) {
        throw LinkCodes.unknown();
      }
      return new Progress(held.wrong, MAX_ATTEMPTS - held.claims);
    }
  }

  @Override
  public long expiresAt(String address) {
    Held held = bySocket.get(address);
    return held == null ? 0 : held.code.expiresAt();
  }

  @Override
  public void forget(String address) {
    Held held = bySocket.get(address);
    if (held != null) {
      remove(held);
    }
  }

  @Override
  public Code held(String slot) {
    Held held = bySlot.get(slot);
    return held == null ? null : held.code;
  }

  @Override
  public void substitute(String slot, ByteString wrapped) {
    Held held = bySlot.get(slot);
    Code old = held.code;
    held.code = new Code(old.address(), old.client(), old.slot(), wrapped, old.name(), old.kind(), old.expiresAt());
  }
}
