package org.parley.cli.daemon;

import java.util.List;
import java.util.stream.Collectors;
import org.parley.cli.rpc.RpcError;
import org.parley.cli.rpc.RpcException;

/**
 * The profiles a daemon holds: one, or every profile under a directory ({@code --profiles DIR},
 * signal-cli's multi-account mode), where each call names its profile with {@code account} (the
 * phone number, or the profile directory's name).
 */
final class Profiles implements AutoCloseable {
  private final List<DeviceHost> hosts;
  private final boolean multi;

  Profiles(List<DeviceHost> hosts, boolean multi) {
    this.hosts = List.copyOf(hosts);
    this.multi = multi;
  }

  List<DeviceHost> all() {
    return hosts;
  }

  boolean multi() {
    return multi;
  }

  /** The profile a call is for. */
  DeviceHost host(String account) {
    if (!multi) {
      DeviceHost only = hosts.getFirst();
      if (account != null && !only.answersTo(account)) {
        throw new RpcException(RpcError.INVALID_PARAMS, "this daemon holds one profile, not '" + account + "'");
      }
      return only;
    }
    if (account == null) {
      throw new RpcException(
          RpcError.INVALID_PARAMS, "name the profile with 'account' (one of: " + names() + ")");
    }
    return hosts.stream()
        .filter(h -> h.answersTo(account))
        .findFirst()
        .orElseThrow(
            () -> new RpcException(RpcError.INVALID_PARAMS, "no profile '" + account + "' (one of: " + names() + ")"));
  }

  private String names() {
    return hosts.stream()
        .map(h -> h.phone() != null ? h.phone() : h.directory().getFileName().toString())
        .collect(Collectors.joining(", "));
  }

  @Override
  public void close() {
    for (DeviceHost host : hosts) {
      host.close();
    }
  }
}
