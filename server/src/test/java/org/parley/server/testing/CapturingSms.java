package org.parley.server.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.server.registration.SmsSender;

/** The SMS gateway at the edge of the world, replaced: remembers the last code sent to each number. */
public final class CapturingSms implements SmsSender {
  private final Map<String, String> codes = new ConcurrentHashMap<>();

  @Override
  public void send(String phone, String code) {
    codes.put(phone, code);
  }

  public String codeFor(String phone) {
    await().atMost(Duration.ofSeconds(10)).until(() -> codes.containsKey(phone));
    return codes.remove(phone);
  }
}
