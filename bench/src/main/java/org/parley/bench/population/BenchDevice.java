package org.parley.bench.population;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/** A registered or linked device the bench can connect as. */
public record BenchDevice(UUID account, int deviceId, int registrationId, byte[] credential) {
  /** HTTP Basic: base64(accountId.deviceId:base64(credential)), as DESIGN.md and the server expect. */
  public String authorization() {
    String user = account + "." + deviceId + ":" + Base64.getEncoder().encodeToString(credential);
    return "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8));
  }

  public String accountId() {
    return account.toString();
  }
}
