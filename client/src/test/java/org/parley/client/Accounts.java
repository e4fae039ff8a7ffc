package org.parley.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.linking.QrCodes;
import org.parley.protocol.wire.DeviceKind;
import org.parley.server.testing.TestServer;

/** Test helpers: devices registered against a test server, and what they receive. */
final class Accounts {
  private Accounts() {}

  static Device register(TestServer server, Path profile, String phone) {
    return register(server, profile, phone, ClientConfig.defaults());
  }

  static Device register(TestServer server, Path profile, String phone, ClientConfig config) {
    Device device = Device.open(profile, config);
    device.requestCode(server.url(), phone, "phone of " + phone);
    device.verify(server.sms().codeFor(phone));
    return device;
  }

  /**
   * Links a new companion to the primary the way a user does: the companion shows its QR code as a
   * PNG, the primary reads the PNG. Returns the linked companion.
   */
  static Device link(TestServer server, Device primary, Path profile, String name) {
    Device companion = Device.open(profile, ClientConfig.defaults());
    Path png = profile.resolveSibling(profile.getFileName() + "-qr.png");
    CompletableFuture<Path> shown = new CompletableFuture<>();
    CompletableFuture<Void> linking =
        CompletableFuture.runAsync(
            () -> companion.link(server.url(), name, DeviceKind.DESKTOP, invitation -> {
              QrCodes.writePng(invitation.uri(), png);
              shown.complete(png);
            }),
            // Its own thread: linking waits, and must not hold up the shared pool that the JDK's
            // WebSocket client uses for opening other connections.
            task -> Thread.ofPlatform().daemon().start(task));
    try {
      primary.addDevice(QrCodes.readPng(shown.get(30, TimeUnit.SECONDS)));
      linking.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      companion.close();
      throw new IllegalStateException("linking " + name + " failed", e);
    }
    return companion;
  }

  /**
   * Links a new companion by the content of its QR code (the {@code parley://link?} URI) rather than
   * through a PNG, for tests about something else than the QR code itself.
   */
  static Device linkByUri(TestServer server, Device primary, Path profile, String name) {
    Device companion = Device.open(profile, ClientConfig.defaults());
    CompletableFuture<String> shown = new CompletableFuture<>();
    CompletableFuture<Void> linking =
        CompletableFuture.runAsync(
            () -> companion.link(server.url(), name, DeviceKind.DESKTOP, invitation -> shown.complete(invitation.uri())),
            task -> Thread.ofPlatform().daemon().start(task));
    try {
      primary.addDevice(shown.get(30, TimeUnit.SECONDS));
      linking.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      companion.close();
      throw new IllegalStateException("linking " + name + " failed", e);
    }
    return companion;
  }

  /** Receives until the device has been quiet for a short while; returns every event. */
  static List<ClientEvent> receive(Device device) {
    List<ClientEvent> events = new CopyOnWriteArrayList<>();
    device.receive(Duration.ofMillis(600), events::add);
    return new ArrayList<>(events);
  }

  static List<MessageEvent> messages(List<ClientEvent> events) {
    return events.stream().filter(MessageEvent.class::isInstance).map(MessageEvent.class::cast).toList();
  }
}
