package org.parley.server.registration;

import java.util.UUID;
import org.parley.protocol.wire.NewDevice;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.auth.Credentials;
import org.parley.server.keys.KeyValidator;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.transport.ApiException;

/** Checks what a new device (a registering primary or a linking companion) says about itself. */
public final class NewDeviceValidator {
  private static final int MAX_REGISTRATION_ID = 16380;
  private static final int MAX_NAME = 64;

  private final KeyValidator keys;

  public NewDeviceValidator(Limits limits) {
    this.keys = new KeyValidator(limits);
  }

  /** A checked new device, ready to be stored once it has an account and a device id. */
  public record Valid(
      byte[] identityKey, int registrationId, byte[] credentialHash, String name, int kind, PreKeys.Upload keys) {
    public DeviceRecord record(UUID account, int deviceId, long now, byte[] deviceSignature) {
      return new DeviceRecord(
          account, deviceId, registrationId, identityKey, credentialHash, name, kind, now, now, deviceSignature);
    }
  }

  public Valid validate(NewDevice device) throws ApiException {
    var identity = KeyValidator.identityKey(device.getIdentityKey().toByteArray());
    if (device.getRegistrationId() < 1 || device.getRegistrationId() > MAX_REGISTRATION_ID) {
      throw new ApiException(
          Status.BAD_REQUEST, "registration id must be between 1 and " + MAX_REGISTRATION_ID);
    }
    if (device.getCredential().size() != Credentials.SECRET_BYTES) {
      throw new ApiException(Status.BAD_REQUEST, "a device credential is 32 random bytes");
    }
    if (device.getName().codePointCount(0, device.getName().length()) > MAX_NAME) {
      throw new ApiException(Status.BAD_REQUEST, "a device name is at most " + MAX_NAME + " characters");
    }
    PreKeys.Upload upload = keys.validate(device.getKeys(), identity, true);
    return new Valid(
        device.getIdentityKey().toByteArray(),
        device.getRegistrationId(),
        Credentials.hash(device.getCredential().toByteArray()),
        device.getName().isBlank() ? "device" : device.getName().strip(),
        device.getKindValue(),
        upload);
  }
}
