package org.parley.client.linking;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.client.ClientException;
import org.parley.protocol.wire.DeviceKind;
import org.signal.libsignal.protocol.IdentityKey;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.ecc.ECPublicKey;

/**
 * What a companion's QR code says (DESIGN.md §4):
 * {@code parley://link?v=1&addr=...&pub=...&id=...&kind=...&name=...}. Keys are base64url.
 */
public record LinkUri(
    String address, ECPublicKey provisioningKey, IdentityKey identity, DeviceKind kind, String name) {
  public static final String PREFIX = "parley://link?";

  public String toUri() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return PREFIX
        + "v=1"
        + "&addr=" + encode(address)
        + "&pub=" + b64.encodeToString(provisioningKey.serialize())
        + "&id=" + b64.encodeToString(identity.serialize())
        + "&kind=" + kind.name().toLowerCase(java.util.Locale.ROOT)
        + "&name=" + encode(name);
  }

  public static LinkUri parse(String text) {
    String uri = text.strip();
    if (!uri.startsWith(PREFIX)) {
      throw new ClientException("not a Parley link: it must start with '" + PREFIX + "'");
    }
    // The query is read by hand: what follows the prefix is only ours, and a damaged QR code or a
    // pasted line must be refused with a sentence, not with a URI parser's exception (found by
    // LinkUriFuzzTest).
    Map<String, String> query = new LinkedHashMap<>();
    for (String pair : uri.substring(PREFIX.length()).split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        try {
          query.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
          throw new ClientException("the link is damaged (" + e.getMessage() + "); scan the QR code again");
        }
      }
    }
    if (!"1".equals(query.get("v"))) {
      throw new ClientException("this link is for another version of Parley (v=" + query.get("v") + ")");
    }
    try {
      Base64.Decoder b64 = Base64.getUrlDecoder();
      return new LinkUri(
          required(query, "addr"),
          new ECPublicKey(b64.decode(required(query, "pub"))),
          new IdentityKey(b64.decode(required(query, "id"))),
          kind(query.getOrDefault("kind", "desktop")),
          query.getOrDefault("name", "companion"));
    } catch (InvalidKeyException | IllegalArgumentException e) {
      throw new ClientException("the link's keys are damaged; scan the QR code again");
    }
  }

  public static DeviceKind kind(String name) {
    return switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "phone" -> DeviceKind.PHONE;
      case "desktop" -> DeviceKind.DESKTOP;
      case "web" -> DeviceKind.WEB;
      default -> throw new ClientException("device kind must be phone, desktop or web, not '" + name + "'");
    };
  }

  private static String required(Map<String, String> query, String key) {
    String value = query.get(key);
    if (value == null || value.isEmpty()) {
      throw new ClientException("the link has no '" + key + "'; scan the QR code again");
    }
    return value;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
