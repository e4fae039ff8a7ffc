package org.parley.client.store;

import java.util.UUID;

/** Who this device is: its server, account, device id and credential, and whether it is linked. */
public final class LocalDevice {
  private static final String SERVER = "server_url";
  private static final String PHONE = "phone";
  private static final String ACCOUNT = "account_id";
  private static final String DEVICE = "device_id";
  private static final String CREDENTIAL = "credential";
  private static final String NAME = "device_name";
  private static final String KIND = "device_kind";
  private static final String UNLINKED_REASON = "unlinked_reason";
  private static final String UNLINKED_AT = "unlinked_at";

  private final ProfileStore store;

  public LocalDevice(ProfileStore store) {
    this.store = store;
  }

  public String serverUrl() {
    return store.text(SERVER);
  }

  public String phone() {
    return store.text(PHONE);
  }

  public UUID account() {
    String id = store.text(ACCOUNT);
    return id == null ? null : UUID.fromString(id);
  }

  public int deviceId() {
    return (int) store.number(DEVICE, 0);
  }

  public byte[] credential() {
    return store.setting(CREDENTIAL);
  }

  public String name() {
    return store.text(NAME);
  }

  public int kind() {
    return (int) store.number(KIND, 0);
  }

  public boolean isRegistered() {
    return account() != null && deviceId() > 0;
  }

  public boolean isPrimary() {
    return deviceId() == 1;
  }

  /** The reason this device was unlinked ("primary-inactive", ...), or {@code null} if linked. */
  public String unlinkedReason() {
    return store.text(UNLINKED_REASON);
  }

  public long unlinkedAt() {
    return store.number(UNLINKED_AT, 0);
  }

  /** Before registration or linking: which server and number this device is for. */
  public void prepare(String serverUrl, String phone, String name, int kind) {
    store.transaction(c -> {
      store.putText(SERVER, serverUrl);
      store.putText(PHONE, phone);
      store.putText(NAME, name);
      store.putNumber(KIND, kind);
      return null;
    });
  }

  public void registered(UUID account, int deviceId, String phone, byte[] credential) {
    store.transaction(c -> {
      store.putText(ACCOUNT, account.toString());
      store.putNumber(DEVICE, deviceId);
      store.putText(PHONE, phone);
      store.putSetting(CREDENTIAL, credential);
      store.putSetting(UNLINKED_REASON, null);
      return null;
    });
  }

  public void unlinked(String reason, long at) {
    store.transaction(c -> {
      store.putText(UNLINKED_REASON, reason);
      store.putNumber(UNLINKED_AT, at);
      return null;
    });
  }
}
