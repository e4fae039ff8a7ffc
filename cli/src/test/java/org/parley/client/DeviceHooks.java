package org.parley.client;

import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;
import org.parley.client.attachments.AttachmentUploader.Outgoing;

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

  /**
   * Sends files as a modified client could: each pointer claims {@code claimedType} whatever the
   * file holds (an honest client sniffs the type; nothing stops an attacker from stating another).
   */
  public static void sendClaiming(Device device, String to, String body, List<Path> files, String claimedType) {
    List<Attachments.Prepared> uploaded = device.upload(files.stream().map(Outgoing::of).toList());
    List<Attachments.Prepared> claiming =
        uploaded.stream()
            .map(p -> new Attachments.Prepared(
                p.pointer().toBuilder().setContentType(claimedType).build(), p.ownCopy(), p.resumedFrom()))
            .toList();
    device.sendPrepared(to, null, body, claiming);
  }
}
