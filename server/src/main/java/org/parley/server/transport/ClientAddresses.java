package org.parley.server.transport;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Who a client is, by address, for the limits kept per address. The TCP peer, unless the peer is a
 * trusted reverse proxy ({@code --trusted-proxy CIDR}): then the address its PROXY protocol header
 * or its X-Forwarded-For names. From any other peer both are ignored, so a client cannot pick its
 * own address. IPv6 clients are counted by their /64, which one subscriber usually holds whole.
 */
public final class ClientAddresses {
  static final AttributeKey<InetAddress> CLIENT = AttributeKey.valueOf("parley.client-address");

  /** A block of addresses, {@code 10.0.0.0/8} or {@code ::1/128}; a bare address is a block of one. */
  public record Cidr(byte[] network, int prefix) {
    boolean contains(InetAddress address) {
      byte[] bytes = address.getAddress();
      if (bytes.length != network.length) {
        return false;
      }
      for (int bit = 0; bit < prefix; bit++) {
        int mask = 0x80 >>> (bit % 8);
        if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  private final List<Cidr> trusted;

  public ClientAddresses(List<String> trustedProxies) {
    List<Cidr> cidrs = new ArrayList<>();
    for (String cidr : trustedProxies) {
      cidrs.add(parseCidr(cidr));
    }
    this.trusted = List.copyOf(cidrs);
  }

  /** Reads {@code ADDRESS[/PREFIX]}; only literal addresses, never a name to look up. */
  public static Cidr parseCidr(String text) {
    String[] parts = text.strip().split("/", 2);
    byte[] address = NetUtil.createByteArrayFromIpAddressString(parts[0]);
    if (address == null) {
      throw new IllegalArgumentException("'" + text + "' is not an address block; write it like 10.0.0.0/8 or fd00::/8");
    }
    int prefix = address.length * 8;
    if (parts.length == 2) {
      try {
        prefix = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > address.length * 8) {
        throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0.." + address.length * 8);
      }
    }
    return new Cidr(address, prefix);
  }

  public boolean anyTrusted() {
    return !trusted.isEmpty();
  }

  boolean trusted(InetAddress peer) {
    for (Cidr cidr : trusted) {
      if (cidr.contains(peer)) {
        return true;
      }
    }
    return false;
  }

  /** The TCP peer of a channel, or null for a channel without an IP peer (tests). */
  static InetAddress peer(Channel channel) {
    return channel.remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  /** The client's address as far as it is known now: what a trusted proxy said, else the peer. */
  static InetAddress client(Channel channel) {
    InetAddress said = channel.attr(CLIENT).get();
    return said != null ? said : peer(channel);
  }

  /**
   * The client named by X-Forwarded-For when the peer is a trusted proxy: the right-most entry
   * that is not itself a trusted proxy (entries further left were written by the client and prove
   * nothing). Null when the header is absent, unusable or not to be believed.
   */
  InetAddress forwardedFor(InetAddress peer, String header) {
    if (header == null || peer == null || !trusted(peer)) {
      return null;
    }
    String[] hops = header.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      byte[] bytes = NetUtil.createByteArrayFromIpAddressString(hops[i].strip());
      if (bytes == null) {
        return null;
      }
      InetAddress hop;
      try {
        hop = InetAddress.getByAddress(bytes);
      } catch (java.net.UnknownHostException e) {
        return null;
      }
      if (!trusted(hop)) {
        return hop;
      }
    }
    return null;
  }

  /** The key per-address limits use: the address, or for IPv6 its /64. */
  public static String key(InetAddress address) {
    if (address == null) {
      return "unknown";
    }
    if (address instanceof Inet6Address) {
      byte[] bytes = address.getAddress();
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < 8; i += 2) {
        out.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
      }
      return out.append(":/64").toString();
    }
    return address.getHostAddress();
  }
}
