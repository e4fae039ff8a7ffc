package org.parley.client;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.UUID;
import org.parley.client.keys.PreKeys;
import org.parley.client.net.ServerConnection;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.NewDevice;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Registered;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.SetRegistrationLock;
import org.signal.libsignal.protocol.IdentityKeyPair;
import org.signal.libsignal.protocol.util.KeyHelper;

/** Registration by phone number: this device becomes the account's primary. */
final class Registration {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PENDING_CREDENTIAL = "pending_credential";

  private final DeviceContext device;
  private final Online online;

  Registration(DeviceContext device, Online online) {
    this.device = device;
    this.online = online;
  }

  /** On the primary: sets (or, with {@code null}, clears) the number's registration-lock PIN. */
  void setRegistrationLock(String pin) {
    device.requirePrimary("set the registration lock");
    if (pin != null && (pin.length() < 4 || pin.length() > 64)) {
      throw new ClientException("a registration-lock PIN has 4 to 64 characters");
    }
    online.connection(false)
        .call(Request.newBuilder().setSetRegistrationLock(SetRegistrationLock.newBuilder().setPin(pin == null ? "" : pin)));
  }

  void requestCode(String serverUrl, String phone, String name) {
    String number = PhoneNumbers.normalize(phone);
    var local = device.local;
    if (local.isRegistered() && local.unlinkedReason() == null) {
      throw new ClientException(
          "this profile is already registered as " + local.phone() + "; use another --profile for another device");
    }
    if (!device.signal.hasIdentity() || local.isRegistered()) {
      device.signal.initialize(IdentityKeyPair.generate(), KeyHelper.generateRegistrationId(false));
      byte[] credential = new byte[32];
      RANDOM.nextBytes(credential);
      device.profile.putSetting(PENDING_CREDENTIAL, credential);
    }
    local.prepare(serverUrl, number, name == null || name.isBlank() ? "primary" : name, DeviceKind.PHONE_VALUE);
    try (ServerConnection anonymous = device.anonymous(serverUrl)) {
      anonymous.call(Request.newBuilder().setRequestCode(RequestCode.newBuilder().setPhone(number)));
    }
  }

  void verify(String code, String registrationLockPin) {
    var local = device.local;
    String serverUrl = local.serverUrl();
    byte[] credential = device.profile.setting(PENDING_CREDENTIAL);
    if (serverUrl == null || credential == null) {
      throw new ClientException("no registration is pending on this profile; run 'parley register' first");
    }
    NewDevice newDevice =
        NewDevice.newBuilder()
            .setIdentityKey(ByteString.copyFrom(device.signal.getIdentityKeyPair().getPublicKey().serialize()))
            .setRegistrationId(device.signal.getLocalRegistrationId())
            .setCredential(ByteString.copyFrom(credential))
            .setName(local.name())
            .setKindValue(local.kind())
            .setKeys(new PreKeys(device.profile, device.signal).initial(device.clock.millis()))
            .build();
    Registered registered;
    try (ServerConnection anonymous = device.anonymous(serverUrl)) {
      registered =
          anonymous
              .call(
                  Request.newBuilder()
                      .setRegister(
                          Register.newBuilder()
                              .setPhone(local.phone())
                              .setCode(code.strip())
                              .setDevice(newDevice)
                              .setRegistrationLockPin(registrationLockPin == null ? "" : registrationLockPin)))
              .getRegistered();
    }
    UUID account = UUID.fromString(registered.getAccountId());
    local.registered(account, registered.getDeviceId(), local.phone(), credential);
    device.contacts.pinPrimary(account, local.phone(), device.signal.getIdentityKeyPair().getPublicKey().serialize());
    // Connecting as the primary publishes the first signed device list.
    online.connection(false);
  }
}
