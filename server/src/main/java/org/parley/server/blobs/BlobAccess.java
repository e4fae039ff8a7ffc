package org.parley.server.blobs;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Optional;
import org.parley.server.auth.Authenticator;
import org.parley.server.blobs.BlobStore.Blob;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.Unlinking;

/**
 * Who may do what with a blob: the rules of the blob endpoints, apart from the bytes. Runs on the
 * blocking executor (credentials and blob state are reads from disk). Blobs are account-internal;
 * only the device that reserved a blob uploads it, once; anyone of the account fetches or deletes it.
 */
final class BlobAccess {
  private final BlobStore store;
  private final Authenticator authenticator;
  private final Clock clock;

  BlobAccess(BlobStore store, Authenticator authenticator, Clock clock) {
    this.store = store;
    this.authenticator = authenticator;
    this.clock = clock;
  }

  /** What a blob request comes to, once credentials and the blob's state have been checked. */
  sealed interface Decision {}

  /** Answer with a line of text (every refusal, and the end of a delete). */
  record Answer(HttpResponseStatus status, String text, String contentRange) implements Decision {
    Answer(HttpResponseStatus status, String text) {
      this(status, text, null);
    }
  }

  /** Take the body into this upload. */
  record Receive(Blob blob, BlobStore.Upload upload) implements Decision {}

  /** Send bytes [from, to) of the blob to {@code device} ({@code partial}: as a 206 range). */
  record Send(Blob blob, int device, InputStream bytes, long from, long to, boolean partial)
      implements Decision {}

  /** @param length the Content-Length header, range the Range header (either may be null) */
  Decision decide(HttpMethod method, String id, String authorization, String range, String length)
      throws IOException {
    DeviceRecord device;
    switch (authenticator.authenticate(authorization)) {
      case Authenticator.Authenticated ok -> device = ok.device();
      case Authenticator.Revoked revoked -> {
        return new Answer(HttpResponseStatus.UNAUTHORIZED, Unlinking.describe(revoked.tombstone()));
      }
      case Authenticator.Refused refused -> {
        return new Answer(
            HttpResponseStatus.UNAUTHORIZED,
            authorization == null
                ? "blobs need the device's credentials as HTTP Basic authorization"
                : refused.reason() + "; register or link this device again");
      }
    }
    Optional<Blob> found = store.find(id);
    if (found.isPresent() && found.get().expiresAt() <= clock.millis()) {
      store.delete(id);
      found = Optional.empty();
    }
    if (found.isEmpty()) {
      return new Answer(
          HttpResponseStatus.NOT_FOUND, "no such blob: it expired, was fetched and deleted, or never existed");
    }
    Blob blob = found.get();
    if (!blob.account().equals(device.account())) {
      return new Answer(HttpResponseStatus.FORBIDDEN, "this blob belongs to another account");
    }
    if (method.equals(HttpMethod.PUT)) {
      return receive(blob, device, length);
    }
    if (method.equals(HttpMethod.GET)) {
      return send(blob, device, range);
    }
    store.delete(id);
    return new Answer(HttpResponseStatus.OK, "deleted");
  }

  private Decision receive(Blob blob, DeviceRecord device, String length) throws IOException {
    if (device.deviceId() != blob.uploader()) {
      return new Answer(HttpResponseStatus.FORBIDDEN, "only the device that reserved this blob may upload it");
    }
    if (blob.uploaded()) {
      return new Answer(HttpResponseStatus.CONFLICT, "this blob has been uploaded already");
    }
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.strip());
      } catch (NumberFormatException e) {
        return new Answer(HttpResponseStatus.BAD_REQUEST, "Content-Length is not a number");
      }
      if (declared > blob.size()) {
        return new Answer(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, tooLarge(blob));
      }
      if (declared < blob.size()) {
        return new Answer(HttpResponseStatus.BAD_REQUEST, wrongSize(blob, declared));
      }
    }
    try {
      return new Receive(blob, store.upload(blob.id()));
    } catch (BlobStore.StateException e) {
      return new Answer(HttpResponseStatus.CONFLICT, e.getMessage());
    }
  }

  private Decision send(Blob blob, DeviceRecord device, String range) throws IOException {
    if (!blob.uploaded()) {
      return new Answer(
          HttpResponseStatus.CONFLICT, "this blob has not been uploaded completely yet; fetch it once it has");
    }
    long from = 0;
    long to = blob.size();
    if (range != null) {
      long[] parsed = parseRange(range, blob.size());
      if (parsed == null) {
        return new Answer(
            HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
            "the blob has " + blob.size() + " bytes; ask for one range 'bytes=N-' or 'bytes=N-M' within them",
            "bytes */" + blob.size());
      }
      from = parsed[0];
      to = parsed[1];
    }
    return new Send(blob, device.deviceId(), store.open(blob.id(), from), from, to, range != null);
  }

  /** {@code bytes=N-} or {@code bytes=N-M} as [from, to), or null if unsupported or outside the blob. */
  static long[] parseRange(String header, long size) {
    String spec = header.strip();
    if (!spec.startsWith("bytes=") || spec.indexOf(',') >= 0) {
      return null;
    }
    spec = spec.substring("bytes=".length()).strip();
    int dash = spec.indexOf('-');
    if (dash <= 0) {
      return null;
    }
    try {
      long from = Long.parseLong(spec.substring(0, dash).strip());
      String last = spec.substring(dash + 1).strip();
      long to = last.isEmpty() ? size : Math.min(size, Long.parseLong(last) + 1);
      return from < 0 || from >= size || to <= from ? null : new long[] {from, to};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static String tooLarge(Blob blob) {
    return "the body is larger than the " + blob.size() + " bytes reserved for this blob";
  }

  private static String wrongSize(Blob blob, long declared) {
    return "the body has " + declared + " bytes but this blob was reserved for exactly " + blob.size();
  }
}
