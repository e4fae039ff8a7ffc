package org.parley.client;

import java.util.function.LongConsumer;

/**
 * The client's test hooks for the cli module's tests, which drive a {@link Device} inside a daemon:
 * the hooks are package-private in the client, so this lives in its package (on the test classpath only).
 */
public final class DeviceHooks {
  private DeviceHooks() {}

  /** Hears the bytes of each download held so far, and may hold it there or stop it by throwing. */
  public static void downloadProgress(Device device, LongConsumer progress) {
    device.downloadProgress(progress);
  }
}
