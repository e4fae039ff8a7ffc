package org.parley.client.messaging;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.parley.client.messaging.DeviceDirectory.Account;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.Contacts.KnownDevice;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.DeviceKeys;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.GetKeysBatch;
import org.parley.protocol.wire.Keys;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.signal.libsignal.protocol.SignalProtocolAddress;

/**
 * The pre-key bundles of the trusted devices that have no session yet (docs/PROTOCOL.md §7): asked
 * for when {@link #start started}, without waiting, and {@link #collect collected} later, so a send
 * in several requests can have the server look up the next batch's keys while this device starts the
 * sessions of the one before. Many accounts go in batch fetches (the server takes each in one
 * commit). Only bundles with the identity the account's primary vouched for are kept: a session is
 * never started from any other.
 */
final class BundleFetch {
  /** Accounts per batch fetch (the server takes up to 1,000). */
  static final int ACCOUNTS_PER_REQUEST = 250;

  /** A device of an account. */
  record DeviceAt(String account, int deviceId) {}

  /** An account's trusted devices, and those of them without a session. */
  private record Missing(UUID account, Map<Integer, KnownDevice> byId, List<Integer> deviceIds) {
    GetKeys request() {
      return GetKeys.newBuilder().setAccountId(account.toString()).addAllDeviceIds(deviceIds).build();
    }
  }

  /** One request in flight and the accounts it asks for. */
  private record Pending(List<Missing> accounts, CompletableFuture<Response> answer) {}

  private final ServerConnection server;
  private final List<Pending> pending;

  private BundleFetch(ServerConnection server, List<Pending> pending) {
    this.server = server;
    this.pending = pending;
  }

  /** Asks for the bundles of the targets' trusted devices (but this one) that {@code signal} has no session with. */
  static BundleFetch start(
      ServerConnection server, SignalStore signal, List<Account> targets, UUID ownAccount, int ownDevice) {
    List<Missing> missing = new ArrayList<>();
    for (Account target : targets) {
      List<Integer> ids = new ArrayList<>();
      Map<Integer, KnownDevice> byId = new HashMap<>();
      for (KnownDevice device : target.trusted()) {
        if (target.id().equals(ownAccount) && device.deviceId() == ownDevice) {
          continue;
        }
        byId.put(device.deviceId(), device);
        if (!signal.containsSession(new SignalProtocolAddress(target.id().toString(), device.deviceId()))) {
          ids.add(device.deviceId());
        }
      }
      if (!ids.isEmpty()) {
        missing.add(new Missing(target.id(), byId, ids));
      }
    }
    return start(server, missing);
  }

  /** Asks for the bundles of some devices of one account. */
  static BundleFetch start(ServerConnection server, UUID account, Map<Integer, KnownDevice> byId, List<Integer> missing) {
    return start(server, List.of(new Missing(account, byId, missing)));
  }

  private static BundleFetch start(ServerConnection server, List<Missing> missing) {
    List<Pending> pending = new ArrayList<>();
    for (int from = 0; from < missing.size(); from += ACCOUNTS_PER_REQUEST) {
      List<Missing> chunk = List.copyOf(missing.subList(from, Math.min(missing.size(), from + ACCOUNTS_PER_REQUEST)));
      Request.Builder request;
      if (chunk.size() > 1) {
        GetKeysBatch.Builder batch = GetKeysBatch.newBuilder();
        chunk.forEach(m -> batch.addTargets(m.request()));
        request = Request.newBuilder().setGetKeysBatch(batch);
      } else {
        request = Request.newBuilder().setGetKeys(chunk.getFirst().request());
      }
      pending.add(new Pending(chunk, server.request(request)));
    }
    return new BundleFetch(server, pending);
  }

  /** Waits for the answers: the vouched bundles by device. A device without one gets no session. */
  Map<DeviceAt, DeviceKeys> collect() {
    Map<DeviceAt, DeviceKeys> bundles = new HashMap<>();
    for (Pending request : pending) {
      // Matched by account, not by position: the answer is the server's to order.
      Map<String, Keys> fetched = new HashMap<>();
      for (Keys keys : answer(request)) {
        fetched.putIfAbsent(keys.getAccountId(), keys);
      }
      for (Missing one : request.accounts()) {
        Keys keys = fetched.get(one.account().toString());
        if (keys == null) {
          continue; // no answer for it: its devices have no session and are reported as usual
        }
        for (DeviceKeys bundle : vouched(one, keys)) {
          bundles.putIfAbsent(new DeviceAt(one.account().toString(), bundle.getDeviceId()), bundle);
        }
      }
    }
    return bundles;
  }

  private List<Keys> answer(Pending request) {
    List<Missing> chunk = request.accounts();
    if (chunk.size() == 1) {
      return List.of(ServerConnection.await(request.answer()).getKeys());
    }
    try {
      List<Keys> keys = ServerConnection.await(request.answer()).getKeysBatch().getKeysList();
      if (keys.size() == chunk.size()) {
        return keys;
      }
    } catch (ServerException e) {
      if (e.status() != Status.BAD_REQUEST) {
        throw e;
      }
      // A server without batch fetches: one request per account, as before.
    }
    List<Keys> keys = new ArrayList<>(chunk.size());
    for (Missing m : chunk) {
      keys.add(server.call(Request.newBuilder().setGetKeys(m.request())).getKeys());
    }
    return keys;
  }

  /** The bundles of {@code keys} that are for {@code missing}'s account and carry the identity its primary vouched for. */
  private static List<DeviceKeys> vouched(Missing missing, Keys keys) {
    if (!keys.getAccountId().equals(missing.account().toString())) {
      return List.of(); // an answer for another account: never start a session from it
    }
    List<DeviceKeys> out = new ArrayList<>();
    for (DeviceKeys bundle : keys.getDevicesList()) {
      KnownDevice known = missing.byId().get(bundle.getDeviceId());
      if (known == null || !Arrays.equals(known.identityKey(), bundle.getIdentityKey().toByteArray())) {
        // The bundle's identity is not the one the primary vouched for: never start a session.
        continue;
      }
      out.add(bundle);
    }
    return out;
  }
}
