package org.parley.server.auth;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.Tombstone;

/**
 * Checks the {@code Authorization: Basic base64(accountId.deviceId:secret)} header of a WebSocket
 * upgrade. A revoked credential is recognised as such, so the device can be told why.
 */
public final class Authenticator {
  private final Accounts accounts;

  public Authenticator(Accounts accounts) {
    this.accounts = accounts;
  }

  public sealed interface Result {}

  public record Authenticated(DeviceRecord device, String phone) implements Result {}

  public record Revoked(Tombstone tombstone) implements Result {}

  public record Refused(String reason) implements Result {}

  public Result authenticate(String header) {
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return new Refused("credentials must be sent as HTTP Basic authorization");
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return new Refused("malformed authorization header");
    }
    int colon = decoded.indexOf(':');
    int dot = colon < 0 ? -1 : decoded.lastIndexOf('.', colon);
    if (colon < 0 || dot < 0) {
      return new Refused("malformed credentials");
    }
    DeviceAddress address;
    byte[] secret;
    try {
      address =
          new DeviceAddress(
              UUID.fromString(decoded.substring(0, dot)),
              Integer.parseInt(decoded.substring(dot + 1, colon)));
      secret = Base64.getDecoder().decode(decoded.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      return new Refused("malformed credentials");
    }
    Optional<DeviceRecord> device = accounts.device(address);
    if (device.isPresent() && Credentials.matches(secret, device.get().credentialHash())) {
      var account = accounts.byId(address.account());
      if (account.isPresent()) {
        return new Authenticated(device.get(), account.get().phone());
      }
    }
    Optional<Tombstone> tombstone = accounts.tombstone(address, Credentials.hash(secret));
    if (tombstone.isPresent()) {
      return new Revoked(tombstone.get());
    }
    return new Refused("unknown device or wrong credentials");
  }
}
