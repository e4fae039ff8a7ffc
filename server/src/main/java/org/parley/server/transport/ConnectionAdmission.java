package org.parley.server.transport;

import io.netty.channel.Channel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * The server's connection caps (issue 11). Every connection counts against a global cap kept below
 * the open-files limit. Until its device's credentials have checked out it is a stranger's: at most
 * so many from one client address, and at most so many strangers in all, past which one is closed
 * to make room.
 *
 * <p>Which one is decided only by what the server has verified: the client address (the TCP peer,
 * or what a trusted proxy said). The most crowded addresses give way first, and among their
 * connections one drawn at random. A flood from a few addresses therefore only ever evicts the
 * flood, while a device connecting from its own address (its credentials still being read from the
 * store), a companion waiting on its provisioning socket and a client registering all keep their
 * connection. A flood from many addresses, one connection each, makes every stranger equally
 * crowded; the draw then gives each the same small chance per new connection. Taking the oldest
 * instead let such a flood close a companion's provisioning socket (which lives minutes) with
 * certainty after as many fresh connections as the strangers' cap; the draw still closes it after
 * k caps' worth but for a chance of e^-k, so a provisioning socket takes a place outside the draw
 * while one is free ({@link #provisioning}). What a stranger merely says
 * earns nothing: an earlier version ranked every connection that had sent an Authorization header
 * above the silent ones, so a flood of garbage credentials pushed out exactly those silent
 * legitimate connections.
 */
public final class ConnectionAdmission {
  /** What admission decided for a new connection. */
  sealed interface Result {}

  /** Admitted; {@code evicted} (or null) is the stranger to be closed to make room. */
  record Admitted(Channel evicted) implements Result {}

  record Refused(String reason) implements Result {}

  /** The address key of a connection a trusted proxy has not named the client of yet. */
  private static final String UNNAMED = "";

  /**
   * Provisioning sockets one client address may hold outside the draw: two people linking at once
   * behind one NAT both get a place; a third waits in the draw like any stranger.
   */
  static final int PROVISIONING_PER_ADDRESS = 2;

  /**
   * Provisioning places one network may hold (an IPv4 /24, an IPv6 /48): an address key is a /64,
   * and whoever has a /48 has 65,536 of those, enough to take every place at 2 each. 8 still lets an
   * office or a carrier's NAT pool link several devices at once; more wait in the draw, and only a
   * flood from many addresses makes the draw a risk.
   */
  static final int PROVISIONING_PER_NETWORK = 8;

  private final int maxConnections;
  private final int maxUnauthenticated;
  private final int maxPerAddress;
  private final RandomGenerator random;
  private int total;
  /** Each stranger's address key. */
  private final Map<Channel, String> strangers = new HashMap<>();
  /** The strangers of each address. */
  private final Map<String, Drawable<Channel>> byAddress = new HashMap<>();
  /** Addresses by how many strangers they hold. */
  private final TreeMap<Integer, Drawable<String>> crowding = new TreeMap<>();
  /** Provisioning sockets kept out of the draw, each with its address key; at most a quarter of the strangers' cap. */
  private final Map<Channel, String> provisioning = new HashMap<>();
  private final Map<String, Integer> provisioningByAddress = new HashMap<>();
  private final Map<String, Integer> provisioningByNetwork = new HashMap<>();
  private final int maxProvisioning;

  /** @param random draws whom to evict among equally crowded addresses; unpredictable outside tests */
  public ConnectionAdmission(int maxConnections, int maxUnauthenticated, int maxPerAddress, RandomGenerator random) {
    this.maxConnections = maxConnections;
    this.maxUnauthenticated = maxUnauthenticated;
    this.maxPerAddress = maxPerAddress;
    this.random = random;
    this.maxProvisioning = Math.max(1, maxUnauthenticated / 4);
  }

  /**
   * Caps from the limits: 0 for the global cap means the open-files limit less a reserve. The draw
   * is a SecureRandom's: an attacker who could predict it could again pick whom a flood evicts.
   */
  public static ConnectionAdmission of(int maxConnections, int maxUnauthenticated, int maxPerAddress) {
    int max = maxConnections > 0 ? maxConnections : fromOpenFilesLimit();
    int unauthenticated = maxUnauthenticated > 0 ? Math.min(maxUnauthenticated, max) : Math.max(1, max / 2);
    return new ConnectionAdmission(max, unauthenticated, maxPerAddress, new SecureRandom());
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
      // Every most crowded address holds as many: an address drawn evenly, then one of its
      // connections, is a connection drawn evenly among all of theirs.
      String mostCrowded = crowding.lastEntry().getValue().draw(random);
      evicted = byAddress.get(mostCrowded).draw(random);
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

  /**
   * The connection now holds a provisioning address: a companion showing its link code, for minutes.
   * In the draw, a flood of fresh single-connection strangers from many addresses would close it
   * with a chance of 1 in the strangers' cap per connection (after k caps' worth it survives with
   * about e^-k). It takes a place outside the draw instead, while one is free: the places are few
   * and capped per address, so taking them all needs many addresses holding sockets for minutes,
   * not a churn of short ones. Without a place it stays a stranger, as before.
   */
  synchronized void provisioning(Channel channel) {
    String address = strangers.get(channel);
    if (address == null
        || provisioning.size() >= maxProvisioning
        || provisioningByAddress.getOrDefault(address, 0) >= PROVISIONING_PER_ADDRESS
        || provisioningByNetwork.getOrDefault(network(address), 0) >= PROVISIONING_PER_NETWORK) {
      return;
    }
    forget(channel);
    provisioning.put(channel, address);
    provisioningByAddress.merge(address, 1, Integer::sum);
    provisioningByNetwork.merge(network(address), 1, Integer::sum);
  }

  /**
   * The network of an address key ({@link ClientAddresses#key}): an IPv4 address's /24, an IPv6
   * /64's /48; anything else (no address known) stands for itself.
   */
  static String network(String address) {
    if (address.endsWith("::/64")) {
      return address.substring(0, address.lastIndexOf(':', address.length() - 6)) + "::/48";
    }
    int lastDot = address.lastIndexOf('.');
    return lastDot > 0 && address.indexOf(':') < 0 ? address.substring(0, lastDot) + ".0/24" : address;
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
    String address = provisioning.remove(channel);
    if (address != null) {
      provisioningByAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
      provisioningByNetwork.computeIfPresent(network(address), (a, n) -> n == 1 ? null : n - 1);
    }
    total--;
  }

  synchronized int unauthenticated() {
    return strangers.size();
  }

  synchronized int provisioningOutsideTheDraw() {
    return provisioning.size();
  }

  private int held(String address) {
    Drawable<Channel> channels = byAddress.get(address);
    return channels == null ? 0 : channels.size();
  }

  private void add(Channel channel, String address) {
    strangers.put(channel, address);
    Drawable<Channel> channels = byAddress.computeIfAbsent(address, a -> new Drawable<>());
    move(address, channels.size(), channels.size() + 1);
    channels.add(channel);
  }

  private void forget(Channel channel) {
    String address = strangers.remove(channel);
    if (address == null) {
      return;
    }
    Drawable<Channel> channels = byAddress.get(address);
    channels.remove(channel);
    move(address, channels.size() + 1, channels.size());
    if (channels.isEmpty()) {
      byAddress.remove(address);
    }
  }

  /** Moves an address from one crowding count to another (0 is not kept). */
  private void move(String address, int from, int to) {
    if (from > 0) {
      Drawable<String> bucket = crowding.get(from);
      bucket.remove(address);
      if (bucket.isEmpty()) {
        crowding.remove(from);
      }
    }
    if (to > 0) {
      crowding.computeIfAbsent(to, n -> new Drawable<>()).add(address);
    }
  }

  /**
   * A set that draws a member at random in constant time: under a flood from many addresses one
   * crowding count holds up to the strangers' cap of them, and each new connection draws once.
   */
  private static final class Drawable<T> {
    private final ArrayList<T> members = new ArrayList<>();
    private final HashMap<T, Integer> positions = new HashMap<>();

    void add(T member) {
      positions.put(member, members.size());
      members.add(member);
    }

    /** Moves the last member into the removed one's place. */
    void remove(T member) {
      Integer at = positions.remove(member);
      if (at == null) {
        return;
      }
      T last = members.removeLast();
      if (at < members.size()) {
        members.set(at, last);
        positions.put(last, at);
      }
    }

    T draw(RandomGenerator random) {
      return members.get(random.nextInt(members.size()));
    }

    int size() {
      return members.size();
    }

    boolean isEmpty() {
      return members.isEmpty();
    }
  }
}
