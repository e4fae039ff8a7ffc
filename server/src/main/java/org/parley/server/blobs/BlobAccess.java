package org.parley.server.blobs;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.parley.server.auth.Authenticator;
import org.parley.server.blobs.BlobStore.Blob;
import org.parley.server.blobs.BlobStore.Kind;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.Unlinking;

/**
 * Who may do what with a blob: the rules of the blob endpoints, apart from the bytes. Runs on the
 * blocking executor (credentials and blob state are reads from disk).
 *
 * <p>Only the device that reserved a blob uploads it. A history bundle is account-internal: any
 * device of the account fetches or deletes it. An attachment may be fetched by the uploader's account
 * and by every account its message was addressed to (so a companion linked later can fetch it from
 * the pointer history sync gave it); each addressed device that fetched it says so (DELETE), and the
 * blob goes once all have.
 */
final class BlobAccess {
  static final String UPLOAD_OFFSET = "Upload-Offset";
  static final String UPLOAD_LENGTH = "Upload-Length";
  static final String TUS_RESUMABLE = "Tus-Resumable";
  static final String TUS_VERSION = "1.0.0";
  static final String OFFSET_CONTENT_TYPE = "application/offset+octet-stream";

  private final BlobStore store;
  private final Authenticator authenticator;
  private final Clock clock;
  private final BlobLimits limits;
  private final BlobQuota quota;

  BlobAccess(BlobStore store, Authenticator authenticator, Clock clock, BlobLimits limits, BlobQuota quota) {
    this.store = store;
    this.authenticator = authenticator;
    this.clock = clock;
    this.limits = limits;
    this.quota = quota;
  }

  /** The request's headers that matter here (any may be null). */
  record Headers(
      String authorization, String range, String length, String uploadOffset, String contentType, String uploadLength) {}

  /** What a blob request comes to, once credentials and the blob's state have been checked. */
  sealed interface Decision {}

  /** Answer with a line of text (every refusal, a delete, a HEAD) and these headers. */
  record Answer(HttpResponseStatus status, String text, Map<String, String> headers) implements Decision {
    Answer(HttpResponseStatus status, String text) {
      this(status, text, Map.of());
    }
  }

  /**
   * Take the body into this upload. {@code whole}: a PUT or a creating POST, which must bring every
   * byte (answered 201); otherwise a PATCH, answered 204 with the offset reached, which may bring only
   * some. {@code created}: the blob was reserved by this request (POST), and goes again unless its
   * body arrives whole: its client starts over rather than resume it.
   */
  record Receive(Blob blob, BlobStore.Upload upload, boolean whole, long expiresAtCompletion, boolean created)
      implements Decision {}

  /** Send bytes [from, to) of the blob to {@code device} ({@code partial}: as a 206 range). */
  record Send(Blob blob, int device, InputStream bytes, long from, long to, boolean partial) implements Decision {}

  Decision decide(HttpMethod method, String id, Headers headers) throws IOException {
    DeviceRecord device;
    switch (authenticator.authenticate(headers.authorization())) {
      case Authenticator.Authenticated ok -> device = ok.device();
      case Authenticator.Revoked revoked -> {
        return new Answer(HttpResponseStatus.UNAUTHORIZED, Unlinking.describe(revoked.tombstone()));
      }
      case Authenticator.Refused refused -> {
        return new Answer(
            HttpResponseStatus.UNAUTHORIZED,
            headers.authorization() == null
                ? "blobs need the device's credentials as HTTP Basic authorization"
                : refused.reason() + "; register or link this device again");
      }
    }
    if (method.equals(HttpMethod.POST)) {
      return id.isEmpty()
          ? create(device, headers)
          : new Answer(HttpResponseStatus.METHOD_NOT_ALLOWED, "a POST goes to " + BlobHttpHandler.COLLECTION + ", not to a blob");
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
    boolean owner = blob.account().equals(device.account());
    if (!owner && (blob.kind() == Kind.HISTORY || !store.addressed(id, device.account()))) {
      return new Answer(
          HttpResponseStatus.FORBIDDEN,
          blob.kind() == Kind.HISTORY
              ? "this blob belongs to another account"
              : "this attachment was not sent to this account");
    }
    if (method.equals(HttpMethod.PUT) || method.equals(HttpMethod.PATCH)) {
      return receive(blob, device, headers, method.equals(HttpMethod.PUT));
    }
    if (method.equals(HttpMethod.HEAD)) {
      return head(blob);
    }
    if (method.equals(HttpMethod.GET)) {
      return send(blob, device, headers.range());
    }
    return delete(blob, device);
  }

  private Decision receive(Blob blob, DeviceRecord device, Headers headers, boolean whole) throws IOException {
    if (device.deviceId() != blob.uploader() || !blob.account().equals(device.account())) {
      return new Answer(HttpResponseStatus.FORBIDDEN, "only the device that reserved this blob may upload it");
    }
    if (blob.uploaded()) {
      return new Answer(HttpResponseStatus.CONFLICT, "this blob has been uploaded already", offset(blob.size(), blob));
    }
    long offset = 0;
    if (!whole) {
      if (headers.contentType() == null || !headers.contentType().strip().equalsIgnoreCase(OFFSET_CONTENT_TYPE)) {
        return new Answer(
            HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "a PATCH carries Content-Type: " + OFFSET_CONTENT_TYPE);
      }
      Long parsed = number(headers.uploadOffset());
      if (parsed == null) {
        return new Answer(HttpResponseStatus.BAD_REQUEST, "a PATCH names where it continues in " + UPLOAD_OFFSET);
      }
      offset = parsed;
      if (offset != blob.received()) {
        return new Answer(
            HttpResponseStatus.CONFLICT,
            "the server holds " + blob.received() + " bytes of this blob; continue from there (HEAD tells the offset)",
            offset(blob.received(), blob));
      }
    }
    if (headers.length() != null) {
      Long declared = number(headers.length());
      if (declared == null) {
        return new Answer(HttpResponseStatus.BAD_REQUEST, "Content-Length is not a number");
      }
      if (offset + declared > blob.size()) {
        return new Answer(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, tooLarge(blob));
      }
      if (whole && declared < blob.size()) {
        return new Answer(HttpResponseStatus.BAD_REQUEST, wrongSize(blob, declared));
      }
    }
    try {
      return new Receive(blob, store.upload(blob.id(), offset), whole, clock.millis() + keptOnceUploaded(blob.kind()).toMillis(), false);
    } catch (BlobStore.StateException e) {
      return new Answer(HttpResponseStatus.CONFLICT, e.getMessage(), offset(store.find(blob.id()).map(Blob::received).orElse(0L), blob));
    }
  }

  /**
   * tus 1.0's creation-with-upload, for an attachment small enough to go in one request: the slot is
   * reserved (every quota checked, as over the WebSocket) and the whole body taken in the same request,
   * so a small file costs one round trip. The body must be the whole blob ({@code Content-Length}
   * equal to {@code Upload-Length}); a body that breaks off takes its slot with it.
   */
  private Decision create(DeviceRecord device, Headers headers) throws IOException {
    Long size = number(headers.uploadLength());
    if (size == null) {
      return new Answer(HttpResponseStatus.BAD_REQUEST, "a POST names the blob's size in " + UPLOAD_LENGTH);
    }
    Long declared = number(headers.length());
    if (declared == null || !declared.equals(size)) {
      return new Answer(
          HttpResponseStatus.BAD_REQUEST,
          "a POST carries the whole blob: Content-Length equal to " + UPLOAD_LENGTH + " (larger files reserve a slot"
              + " and upload it with PATCH)");
    }
    BlobQuota.Reservation reserved =
        quota.reserve(
            device.account(), device.deviceId(), Kind.ATTACHMENT, size, clock.millis() + limits.uploadWindow().toMillis());
    BlobQuota.Refusal refusal = reserved.refusal();
    if (refusal != null) {
      Map<String, String> wait =
          refusal.retryAfter() == null
              ? Map.of()
              : Map.of("Retry-After", Long.toString(Math.max(1, refusal.retryAfter().toSeconds())));
      return new Answer(status(refusal.status()), refusal.text(), wait);
    }
    Blob blob = reserved.blob();
    BlobStore.Upload upload;
    try {
      upload = store.upload(blob.id(), 0);
    } catch (IOException | RuntimeException e) {
      // Nobody will upload to it: the slot must not hold the account's quota until it expires.
      try {
        store.delete(blob.id());
      } catch (IOException | RuntimeException d) {
        e.addSuppressed(d);
      }
      throw e;
    }
    return new Receive(blob, upload, true, clock.millis() + keptOnceUploaded(Kind.ATTACHMENT).toMillis(), true);
  }

  /** The HTTP status of a quota's refusal. */
  private static HttpResponseStatus status(org.parley.protocol.wire.Status status) {
    return switch (status) {
      case TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
      case LIMIT_REACHED -> HttpResponseStatus.TOO_MANY_REQUESTS;
      case STORAGE_FULL -> HttpResponseStatus.INSUFFICIENT_STORAGE;
      default -> HttpResponseStatus.BAD_REQUEST;
    };
  }

  private Decision head(Blob blob) {
    Map<String, String> headers = new LinkedHashMap<>(offset(blob.received(), blob));
    return new Answer(HttpResponseStatus.OK, "", headers);
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
            Map.of("Content-Range", "bytes */" + blob.size()));
      }
      from = parsed[0];
      to = parsed[1];
    }
    return new Send(blob, device.deviceId(), store.open(blob.id(), from), from, to, range != null);
  }

  private Decision delete(Blob blob, DeviceRecord device) throws IOException {
    boolean uploader = blob.account().equals(device.account()) && blob.uploader() == device.deviceId();
    if (blob.kind() == Kind.HISTORY || (uploader && !store.addressedToAnyone(blob.id()))) {
      store.delete(blob.id());
      return new Answer(HttpResponseStatus.OK, "deleted");
    }
    if (uploader) {
      // Once a message points to it, it is the addressed devices' as much as the uploader's: the
      // uploading device confirming a fetch of its own attachment (its own copy gone) must not take
      // it from recipients that have not fetched it yet.
      return new Answer(
          HttpResponseStatus.OK,
          "kept: a message points to it; it goes once every device it was sent to has it, or when it expires");
    }
    int remaining = store.fetched(blob.id(), device.address());
    if (remaining == 0) {
      store.delete(blob.id());
      return new Answer(HttpResponseStatus.OK, "deleted: every device it was sent to has it");
    }
    return new Answer(
        HttpResponseStatus.OK,
        remaining < 0
            ? "kept: it was not sent to this device, so this device's fetch does not count"
            : "noted; kept until the " + remaining + " other device(s) it was sent to have fetched it");
  }

  /**
   * After every byte of a blob went to a device: a history bundle lingers a little (the client
   * confirms with DELETE); an attachment notes the device, and lingers a little once every
   * addressed device has it.
   */
  void fetchedToTheEnd(Blob blob, int device) throws IOException {
    if (device == blob.uploader()) {
      return;
    }
    long linger = clock.millis() + BlobService.FETCHED_GRACE.toMillis();
    if (blob.kind() == Kind.HISTORY) {
      store.expireBy(blob.id(), linger);
    }
    // An attachment is noted as fetched by its DELETE: only the device knows that what it got verified.
  }

  /**
   * How long a blob is kept once uploaded. A history bundle: its TTL. An attachment: only the upload
   * window until a message points to it ({@link BlobService#grant} keeps it for the attachment TTL
   * from then on), so an upload whose message never comes (its answer was lost and the client started
   * over, or the client gave up) does not hold the account's quota for the whole TTL.
   */
  java.time.Duration keptOnceUploaded(Kind kind) {
    if (kind == Kind.HISTORY) {
      return limits.historyTtl();
    }
    return limits.uploadWindow().compareTo(limits.attachmentTtl()) < 0 ? limits.uploadWindow() : limits.attachmentTtl();
  }

  private static Map<String, String> offset(long offset, Blob blob) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(UPLOAD_OFFSET, Long.toString(offset));
    headers.put(UPLOAD_LENGTH, Long.toString(blob.size()));
    headers.put(TUS_RESUMABLE, TUS_VERSION);
    headers.put("Cache-Control", "no-store");
    return headers;
  }

  private static Long number(String header) {
    if (header == null) {
      return null;
    }
    try {
      long value = Long.parseLong(header.strip());
      return value < 0 ? null : value;
    } catch (NumberFormatException e) {
      return null;
    }
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
