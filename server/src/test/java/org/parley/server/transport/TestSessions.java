package org.parley.server.transport;

import io.netty.channel.Channel;
import java.util.UUID;
import java.util.concurrent.Executor;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.StoreFixtures;
import org.parley.server.store.Tombstone;

/** Sessions of every kind on a given channel, with requests run on the calling thread. */
public final class TestSessions {
  static final String PHONE = "+15550007001";

  private TestSessions() {}

  static Session anonymous(Channel channel) {
    return new Session(channel, Session.Kind.ANONYMOUS, null, null, null, false, "127.0.0.1", Runnable::run);
  }

  /** Public for the link service's tests. */
  public static Session provisioning(Channel channel) {
    return new Session(channel, Session.Kind.PROVISIONING, null, null, null, false, "127.0.0.1", Runnable::run);
  }

  static Session primary(Channel channel) {
    DeviceRecord primary = StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1_000);
    return device(channel, primary, Runnable::run);
  }

  static Session companion(Channel channel) {
    DeviceRecord companion = StoreFixtures.companion(UUID.randomUUID(), 2, StoreFixtures.credentialHash(), 1_000);
    return device(channel, companion, Runnable::run);
  }

  /** Public for tests of other packages (the delivery pump) that need a device's session. */
  public static Session device(Channel channel, DeviceRecord device, Executor requests) {
    return new Session(channel, Session.Kind.DEVICE, device, PHONE, null, true, "127.0.0.1", requests);
  }

  static Session unlinked(Channel channel, int reason) {
    DeviceRecord gone = StoreFixtures.companion(UUID.randomUUID(), 3, StoreFixtures.credentialHash(), 1_000);
    Tombstone tombstone = new Tombstone(gone.address(), gone.credentialHash(), reason, 5_000);
    return new Session(channel, Session.Kind.UNLINKED, null, null, tombstone, false, "127.0.0.1", Runnable::run);
  }

  static Session unlinked(Channel channel) {
    return unlinked(channel, UnlinkReason.PRIMARY_INACTIVE_VALUE);
  }
}
