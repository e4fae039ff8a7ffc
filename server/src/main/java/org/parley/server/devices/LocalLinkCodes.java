package org.parley.server.devices;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.wire.DeviceKind;
import org.parley.server.transport.ApiException;

/**
 * The link codes of a lone node, in its memory beside the provisioning sockets they belong to
 * (the embedded server; a cluster shares them in Redis, {@link RedisLinkCodes}).
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

  private final Clock clock;
  private final Map<String, Held> bySlot = new ConcurrentHashMap<>();
  /** Held while checking the bounds and inserting a code, so both are one step. */
  private final Object registering = new Object();

  public LocalLinkCodes(Clock clock) {
    this.clock = clock;
  }

  /**
   * The checks and the insert run under one lock: two racing registrations must not give one
   * socket two codes, nor push the count past a bound. Removals (expiry, forget) stay lock-free;
   * they only lower counts.
   */
  @Override
  public Code register(String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind)
      throws ApiException {
    LinkCodes.checkInput(slot, wrapped, name);
    long now = clock.millis();
    synchronized (registering) {
      bySlot.values().removeIf(h -> h.code.expiresAt() < now);
      int fromClient = 0;
      long clientsOldest = Long.MAX_VALUE;
      long oldest = Long.MAX_VALUE;
      for (Held held : bySlot.values()) {
        Code code = held.code;
        if (code.address().equals(address)) {
          throw LinkCodes.socketShowsOne();
        }
        if (code.client().equals(client)) {
          fromClient++;
          clientsOldest = Math.min(clientsOldest, code.expiresAt());
        }
        oldest = Math.min(oldest, code.expiresAt());
      }
      if (fromClient >= MAX_CODES_PER_CLIENT) {
        throw LinkCodes.clientFull(LinkCodes.until(clientsOldest, now));
      }
      if (bySlot.size() >= MAX_CODES) {
        throw LinkCodes.serverFull(LinkCodes.until(oldest, now));
      }
      Code code = new Code(address, client, slot, wrapped, name, kind, now + TTL.toMillis());
      if (bySlot.putIfAbsent(slot, new Held(code)) != null) {
        throw LinkCodes.slotTaken();
      }
      return code;
    }
  }

  @Override
  public Claim claim(String slot, String account) throws ApiException {
    Held held = bySlot.get(slot);
    if (held == null) {
      throw LinkCodes.unknown();
    }
    if (held.code.expiresAt() < clock.millis()) {
      bySlot.remove(slot, held);
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
    for (Held held : bySlot.values()) {
      if (held.code.address().equals(address)) {
        synchronized (held) {
          held.wrong++;
        }
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
    return bySlot.values().stream()
        .map(h -> h.code)
        .filter(c -> c.address().equals(address))
        .mapToLong(Code::expiresAt)
        .max()
        .orElse(0);
  }

  @Override
  public void forget(String address) {
    bySlot.values().removeIf(h -> h.code.address().equals(address));
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
