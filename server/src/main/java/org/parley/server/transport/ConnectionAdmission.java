package org.parley.server.transport;

import io.netty.channel.Channel;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server's connection caps (issue 11). Every connection counts against a global cap kept below
 * the open-files limit. Until it shows a device's credentials it also counts as unauthenticated:
 * at most so many from one client address, and at most so many in all, past which the oldest
 * unauthenticated connection is closed to make room. A flood of idle strangers therefore never
 * holds the sockets and file descriptors that linked devices need, and a device that connects
 * during one still gets in: it is the newest, and once it has shown credentials it is closed for
 * room only when no silent stranger is left — checking them takes a store read, which on a busy
 * server is long enough for a flood to bring hundreds of newer strangers.
 */
public final class ConnectionAdmission {
  /** What admission decided for a new connection. */
  sealed interface Result {}

  /** Admitted; {@code evicted} (or null) is the oldest unauthenticated connection, to be closed. */
  record Admitted(Channel evicted) implements Result {}

  record Refused(String reason) implements Result {}

  private final int maxConnections;
  private final int maxUnauthenticated;
  private final int maxPerAddress;
  private int total;
  /** Silent so far, in arrival order, so the oldest is evicted first. */
  private final LinkedHashMap<Channel, String> unauthenticated = new LinkedHashMap<>();
  /** Credentials shown and being checked: still unauthenticated, evicted only when no silent one is left. */
  private final LinkedHashMap<Channel, String> checking = new LinkedHashMap<>();
  private final Map<String, Integer> perAddress = new HashMap<>();

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
    if (address != null && perAddress.getOrDefault(address, 0) >= maxPerAddress) {
      return new Refused("too many connections without credentials from your address");
    }
    Channel evicted = null;
    if (unauthenticated.size() + checking.size() >= maxUnauthenticated) {
      Iterator<Map.Entry<Channel, String>> oldest =
          (unauthenticated.isEmpty() ? checking : unauthenticated).entrySet().iterator();
      Map.Entry<Channel, String> entry = oldest.next();
      evicted = entry.getKey();
      oldest.remove();
      release(entry.getValue());
    }
    total++;
    unauthenticated.put(channel, address == null ? "" : address);
    if (address != null) {
      perAddress.merge(address, 1, Integer::sum);
    }
    return new Admitted(evicted);
  }

  /** The connection sent credentials, which are being checked: it goes to the back of the eviction order. */
  synchronized void checking(Channel channel) {
    String address = unauthenticated.remove(channel);
    if (address != null) {
      checking.put(channel, address);
    }
  }

  /** The connection showed a device's credentials: it no longer counts as unauthenticated. */
  synchronized void authenticated(Channel channel) {
    forget(channel);
  }

  /** A trusted proxy named the client: count the connection under it; false when that is too many. */
  synchronized boolean rekey(Channel channel, String address) {
    String before = unauthenticated.get(channel);
    if (before == null || before.equals(address)) {
      return true;
    }
    if (perAddress.getOrDefault(address, 0) >= maxPerAddress) {
      return false;
    }
    release(before);
    unauthenticated.put(channel, address);
    perAddress.merge(address, 1, Integer::sum);
    return true;
  }

  synchronized void closed(Channel channel) {
    forget(channel);
    total--;
  }

  synchronized int unauthenticated() {
    return unauthenticated.size() + checking.size();
  }

  private void forget(Channel channel) {
    String address = unauthenticated.remove(channel);
    if (address == null) {
      address = checking.remove(channel);
    }
    if (address != null) {
      release(address);
    }
  }

  private void release(String address) {
    if (!address.isEmpty()) {
      perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
  }
}
