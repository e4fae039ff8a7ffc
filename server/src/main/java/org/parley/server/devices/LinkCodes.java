package org.parley.server.devices;

import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.LinkCodeCipher;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Status;
import org.parley.server.transport.ApiException;

/**
 * The codes companions show (docs/PROTOCOL.md §6.1), by slot (the code's first half). The server holds only
 * the wrapped blob, which it cannot test a guess against (see {@code LinkCodeCipher}); what it does
 * is count live attempts: one use, {@value #MAX_ATTEMPTS} claims, {@link #TTL}. Held in this node's
 * memory, beside the provisioning socket the code belongs to: a primary on another node of a
 * cluster is told the code is unknown (the QR code works across nodes).
 */
public final class LinkCodes {
  public static final int MAX_ATTEMPTS = 3;
  public static final Duration TTL = Duration.ofSeconds(180);
  /** Bounds the memory and the chance that a random slot is taken. */
  static final int MAX_CODES = 4096;
  /**
   * Live codes one client address may hold: a person links a device or two at a time, and without
   * this bound a few hundred addresses could hold every one of the {@value #MAX_CODES} slots.
   */
  static final int MAX_CODES_PER_CLIENT = 4;

  /** What the server keeps for one code: all of it, for tests to assert on. */
  public static final class Entry {
    public final String address;
    /** The client address (as the throttle keys it) that registered the code. */
    public final String client;
    public final String slot;
    public final ByteString wrapped;
    public final String name;
    public final DeviceKind kind;
    public final long expiresAt;
    int claims;
    int wrong;
    /** The accounts that claimed this code (at most {@value #MAX_ATTEMPTS}): only they see its status. */
    final Set<String> claimers = new HashSet<>();

    Entry(String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind, long expiresAt) {
      this.address = address;
      this.client = client;
      this.slot = slot;
      this.wrapped = wrapped;
      this.name = name;
      this.kind = kind;
      this.expiresAt = expiresAt;
    }

    public synchronized int claims() {
      return claims;
    }
  }

  private final Clock clock;
  private final Map<String, Entry> bySlot = new ConcurrentHashMap<>();
  /** Held while checking the bounds and inserting a code, so both are one step. */
  private final Object registering = new Object();

  public LinkCodes(Clock clock) {
    this.clock = clock;
  }

  /** A code registered by a client known only by its socket (tests): the socket stands for the client. */
  Entry register(String address, String slot, ByteString wrapped, String name, DeviceKind kind) throws ApiException {
    return register(address, address, slot, wrapped, name, kind);
  }

  /**
   * Registers the code the socket at {@code address}, opened from {@code client}, shows. The checks and
   * the insert run under one lock: two racing registrations must not give one socket two codes, nor
   * push the count past a bound. Removals (expiry, forget) stay lock-free; they only lower counts.
   */
  Entry register(String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind)
      throws ApiException {
    if (slot.length() != 4 || !slot.chars().allMatch(c -> LinkCodeCipher.ALPHABET.indexOf(c) >= 0)) {
      throw new ApiException(Status.BAD_REQUEST, "a link code slot is the code's first 4 characters");
    }
    if (wrapped.size() != LinkCodeCipher.WRAPPED_BYTES) {
      throw new ApiException(Status.BAD_REQUEST, "the wrapped keys of a link code are " + LinkCodeCipher.WRAPPED_BYTES + " bytes");
    }
    if (name.length() > 64) {
      throw new ApiException(Status.BAD_REQUEST, "a device name is at most 64 characters");
    }
    long now = clock.millis();
    synchronized (registering) {
      bySlot.values().removeIf(e -> e.expiresAt < now);
      int fromClient = 0;
      for (Entry e : bySlot.values()) {
        if (e.address.equals(address)) {
          throw new ApiException(Status.CONFLICT, "this provisioning socket already shows a code; open a new one");
        }
        if (e.client.equals(client)) {
          fromClient++;
        }
      }
      if (fromClient >= MAX_CODES_PER_CLIENT) {
        throw new ApiException(
            Status.RATE_LIMITED,
            "your address already shows " + MAX_CODES_PER_CLIENT + " link codes; link those devices or wait up to 180 s");
      }
      if (bySlot.size() >= MAX_CODES) {
        throw new ApiException(Status.RATE_LIMITED, "too many link codes are waiting on this server; try again in a few minutes");
      }
      Entry entry = new Entry(address, client, slot, wrapped, name, kind, now + TTL.toMillis());
      if (bySlot.putIfAbsent(slot, entry) != null) {
        throw new ApiException(Status.CONFLICT, "this code's first half is taken; draw another code");
      }
      return entry;
    }
  }

  /** One attempt by {@code account} at the code in {@code slot}; refused when unknown, expired or used up. */
  Entry claim(String slot, String account) throws ApiException {
    Entry entry = live(slot);
    synchronized (entry) {
      if (entry.claims >= MAX_ATTEMPTS) {
        throw usedUp();
      }
      entry.claims++;
      entry.claimers.add(account);
      return entry;
    }
  }

  /** The companion at {@code address} could not open what a primary sent: a wrong code. */
  void wrong(String address) {
    for (Entry entry : bySlot.values()) {
      if (entry.address.equals(address)) {
        synchronized (entry) {
          entry.wrong++;
        }
      }
    }
  }

  /**
   * How many wrong attempts the companion reported, and how many claims are left; told only to an
   * account that claimed the code. To anyone else a held code looks unknown: a status is no way to
   * find out which slots are taken.
   */
  int[] status(String slot, String account) throws ApiException {
    Entry entry = bySlot.get(slot);
    if (entry == null) {
      throw unknown();
    }
    synchronized (entry) {
      if (!entry.claimers.contains(account)) {
        throw unknown();
      }
      return new int[] {entry.wrong, MAX_ATTEMPTS - entry.claims};
    }
  }

  /** When the code of the socket at {@code address} expires, or 0 when it shows none. */
  long expiresAt(String address) {
    return bySlot.values().stream().filter(e -> e.address.equals(address)).mapToLong(e -> e.expiresAt).max().orElse(0);
  }

  /** The code's socket closed (linked, or given up): the code dies with it, used or not. */
  void forget(String address) {
    bySlot.values().removeIf(e -> e.address.equals(address));
  }

  /** What is held for a slot, for tests (the operator's view). */
  public Entry held(String slot) {
    return bySlot.get(slot);
  }

  /** The operator replaces a held blob, for tests of a substituting server. */
  public void substitute(String slot, ByteString wrapped) {
    Entry old = bySlot.get(slot);
    Entry replaced = new Entry(old.address, old.client, old.slot, wrapped, old.name, old.kind, old.expiresAt);
    synchronized (old) {
      replaced.claimers.addAll(old.claimers);
    }
    bySlot.put(slot, replaced);
  }

  private Entry live(String slot) throws ApiException {
    Entry entry = bySlot.get(slot);
    if (entry == null) {
      throw unknown();
    }
    if (entry.expiresAt < clock.millis()) {
      bySlot.remove(slot, entry);
      throw new ApiException(
          Status.EXPIRED, "this link code expired (codes last 180 s); run 'parley link --code' on the new device again");
    }
    return entry;
  }

  private static ApiException unknown() {
    return new ApiException(
        Status.NOT_FOUND,
        "no device shows this link code (a code works once, for 180 s, 3 tries);"
            + " check it, or run 'parley link --code' on the new device again");
  }

  private static ApiException usedUp() {
    return new ApiException(
        Status.LIMIT_REACHED,
        "this link code was tried 3 times and no longer works; run 'parley link --code' on the new device for a new one");
  }
}
