package org.parley.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.server.testing.TestServer;

/** Test helpers: devices registered against a test server, and what they receive. */
final class Accounts {
  private Accounts() {}

  static Device register(TestServer server, Path profile, String phone) {
    Device device = Device.open(profile, ClientConfig.defaults());
    device.requestCode(server.url(), phone, "phone of " + phone);
    device.verify(server.sms().codeFor(phone));
    return device;
  }

  /** Receives until the device has been quiet for a short while; returns every event. */
  static List<ClientEvent> receive(Device device) {
    List<ClientEvent> events = new CopyOnWriteArrayList<>();
    device.receive(Duration.ofMillis(1500), events::add);
    return new ArrayList<>(events);
  }

  static List<MessageEvent> messages(List<ClientEvent> events) {
    return events.stream().filter(MessageEvent.class::isInstance).map(MessageEvent.class::cast).toList();
  }
}
