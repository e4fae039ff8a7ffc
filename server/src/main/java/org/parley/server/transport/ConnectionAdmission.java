package org.parley.server.transport;

import io.netty.channel.Channel;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The server's connection caps (issue 11). Every connection counts against a global cap kept below
 * the open-files limit. Until its device's credentials have checked out it is a stranger's: at most
 * so many from one client address, and at most so many strangers in all, past which one is closed
 * to make room.
 *
 * <p>Which one is decided only by what the server has verified: the client address (the TCP peer,
 * or what a trusted proxy said). The most crowded address gives way first, and of its connections
 * the oldest. A flood from a few addresses therefore only ever evicts the flood, while a device
 * connecting from its own address (its credentials still being read from the store), a companion
 * waiting on its provisioning socket and a client registering all keep their connection. What a
 * stranger merely says earns nothing: an earlier version ranked every connection that had sent an
 * Authorization header above the silent ones, so a flood of garbage credentials pushed out exactly
 * those silent legitimate connections.
 */
public final class ConnectionAdmission {
  /** What admission decided for a new connection. */
  sealed interface Result {}

  /** Admitted; {@code evicted} (or null) is the stranger to be closed to make room. */
  record Admitted(Channel evicted) implements Result {}

  record Refused(String reason) implements Result {}

  /** The address key of a connection a trusted proxy has not named the client of yet. */
  private static final String UNNAMED = "";

  private final int maxConnections;
  private final int maxUnauthenticated;
  private final int maxPerAddress;
  private int total;
  /** Each stranger's address key. */
  private final Map<Channel, String> strangers = new HashMap<>();
  /** The strangers of each address, in arrival order. */
  private final Map<String, LinkedHashSet<Channel>> byAddress = new HashMap<>();
  /** Addresses by how many strangers they hold; within a count, in the order they reached it. */
  private final TreeMap<Integer, LinkedHashSet<String>> crowding = new TreeMap<>();

  public ConnectionAdmission(int maxConnections, int maxUnauthenticated, int maxPerAddress) {
    this.maxConnections = maxConnections;
    this.maxUnauthenticated = maxUnauthenticated;
    this.maxPerAddress = maxPerAddress;
  }

  /** Caps from the limits: 0 for the global cap means the open-files limit less a reserve. */
  public static ConnectionAdmission of(int maxConnections, int maxUnauthenticated, int maxPerAddress) {
    int max = maxConnections > 0 ? maxConnections : fromOpenFilesLimit();
    int unauthenticated = maxUnauthenticated > 0 ? Math.min(maxUnauthenticated, max) : Math.max(1, max / 2);
    return new ConnectionAdmission(max, unauthenticated, maxPerAddress);
  }

  /**
   * The process's open-files limit less a reserve for the store, blobs, logs and the listening
   * socket: past the limit accept() itself fails and nobody gets in.
   */
  static int fromOpenFilesLimit() {
    long limit = 0;
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      limit = unix.getMaxFileDescriptorCount();
    }
    if (limit <= 0 || limit > Integer.MAX_VALUE) {
      return 100_000;
    }
    long reserve = Math.max(64, Math.min(1024, limit / 10));
    return (int) Math.max(16, limit - reserve);
  }

  public int maxConnections() {
    return maxConnections;
  }

  /**
   * A new connection from {@code address} (a key from {@link ClientAddresses#key}); a null address
   * is a trusted proxy's, whose client is not known yet and is checked on {@link #rekey}.
   */
  synchronized Result admit(Channel channel, String address) {
    if (total >= maxConnections) {
      return new Refused("the server has as many connections as it can hold");
    }
    if (address != null && held(address) >= maxPerAddress) {
      return new Refused("too many connections without credentials from your address");
    }
    Channel evicted = null;
    if (strangers.size() >= maxUnauthenticated) {
      String mostCrowded = crowding.lastEntry().getValue().getFirst();
      evicted = byAddress.get(mostCrowded).getFirst();
      forget(evicted);
    }
    total++;
    add(channel, address == null ? UNNAMED : address);
    return new Admitted(evicted);
  }

  /** The connection showed a device's credentials: it no longer counts as a stranger's. */
  synchronized void authenticated(Channel channel) {
    forget(channel);
  }

  /** A trusted proxy named the client: count the connection under it; false when that is too many. */
  synchronized boolean rekey(Channel channel, String address) {
    String before = strangers.get(channel);
    if (before == null || before.equals(address)) {
      return true;
    }
    if (held(address) >= maxPerAddress) {
      return false;
    }
    forget(channel);
    add(channel, address);
    return true;
  }

  synchronized void closed(Channel channel) {
    forget(channel);
    total--;
  }

  synchronized int unauthenticated() {
    return strangers.size();
  }

  private int held(String address) {
    LinkedHashSet<Channel> channels = byAddress.get(address);
    return channels == null ? 0 : channels.size();
  }

  private void add(Channel channel, String address) {
    strangers.put(channel, address);
    LinkedHashSet<Channel> channels = byAddress.computeIfAbsent(address, a -> new LinkedHashSet<>());
    move(address, channels.size(), channels.size() + 1);
    channels.add(channel);
  }

  private void forget(Channel channel) {
    String address = strangers.remove(channel);
    if (address == null) {
      return;
    }
    LinkedHashSet<Channel> channels = byAddress.get(address);
    channels.remove(channel);
    move(address, channels.size() + 1, channels.size());
    if (channels.isEmpty()) {
      byAddress.remove(address);
    }
  }

  /** Moves an address from one crowding count to another (0 is not kept). */
  private void move(String address, int from, int to) {
    if (from > 0) {
      LinkedHashSet<String> bucket = crowding.get(from);
      bucket.remove(address);
      if (bucket.isEmpty()) {
        crowding.remove(from);
      }
    }
    if (to > 0) {
      crowding.computeIfAbsent(to, n -> new LinkedHashSet<>()).add(address);
    }
  }
}
