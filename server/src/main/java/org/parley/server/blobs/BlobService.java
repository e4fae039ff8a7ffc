package org.parley.server.blobs;

import io.netty.channel.ChannelHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.parley.protocol.wire.BlobKind;
import org.parley.protocol.wire.BlobUpload;
import org.parley.protocol.wire.CreateBlobUpload;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.auth.Authenticator;
import org.parley.server.blobs.BlobStore.Kind;
import org.parley.server.limits.Throttle;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.StorageException;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blob store's front (docs/PROTOCOL.md §9, §14; docs/operating.md, clustered): a device reserves an upload slot over its
 * WebSocket, then moves the bytes over HTTP(S) on the same port ({@link BlobHttpHandler}), or reserves and
 * uploads a small blob in one HTTP request (creation-with-upload); a message
 * that points to attachments names them, so that the devices it goes to may fetch them ({@link
 * #grant}). Every quota on blobs is checked at reservation, before a byte moves ({@link BlobQuota}).
 */
public final class BlobService {
  private static final Logger log = LoggerFactory.getLogger(BlobService.class);
  /** How long a fully fetched blob stays, so that a download cut off at its very end can resume. */
  static final Duration FETCHED_GRACE = Duration.ofMinutes(10);
  /** Attachments one message may point to. */
  static final int MAX_ATTACHMENTS_PER_MESSAGE = 32;

  private final BlobStore store;
  private final Clock clock;
  private final BlobLimits limits;
  private final BlobQuota quota;

  public BlobService(BlobStore store, Clock clock, BlobLimits limits) {
    this.store = store;
    this.clock = clock;
    this.limits = limits;
    this.quota = new BlobQuota(store, limits);
  }

  public void routes(RequestRouter router) {
    router.on(
        Request.BodyCase.CREATE_BLOB_UPLOAD,
        Access.DEVICE,
        (session, request) -> reserve(session, request.getCreateBlobUpload()));
  }

  /** The HTTP endpoint, one handler per connection, for the pipeline's streaming list. */
  public Supplier<ChannelHandler> httpEndpoint(Authenticator authenticator, Executor blocking) {
    return () -> new BlobHttpHandler(store, new BlobAccess(store, authenticator, clock, limits, quota), blocking);
  }

  /**
   * Lets the devices a message goes to fetch the attachments it points to. Called by the message
   * services after their coverage check and before the commit: a message is only stored with blobs
   * that are this account's uploaded attachments, and its recipients can fetch them the moment it
   * arrives.
   */
  public void grant(DeviceAddress sender, List<String> blobIds, Collection<DeviceAddress> recipients)
      throws ApiException {
    if (blobIds.isEmpty()) {
      return;
    }
    if (blobIds.size() > MAX_ATTACHMENTS_PER_MESSAGE) {
      throw new ApiException(
          Status.TOO_LARGE, "a message may point to at most " + MAX_ATTACHMENTS_PER_MESSAGE + " attachments");
    }
    long now = clock.millis();
    try {
      for (String id : blobIds) {
        BlobStore.Blob blob =
            store.find(id)
                // An expired blob not swept yet is gone too: the message must not bring it back.
                .filter(b -> b.kind() == Kind.ATTACHMENT && b.account().equals(sender.account()) && b.expiresAt() > now)
                .orElseThrow(() -> expired(id));
        if (!blob.uploaded()) {
          throw new ApiException(
              Status.CONFLICT, "attachment " + id + " has not been uploaded completely; finish the upload first");
        }
      }
      // Pointed to by a message now: kept for its devices, no longer only until the upload window ends.
      // One transaction per blob: if a later one of the message's blobs turns out gone, the earlier
      // ones keep the recipients and the TTL of a message that is then refused (read access for them,
      // the account's quota held until the TTL); the sender's client sends the files again anyway.
      long keepUntil = now + limits.attachmentTtl().toMillis();
      for (String id : blobIds) {
        if (!store.address(id, recipients, now, keepUntil)) {
          throw expired(id); // swept since it was looked at
        }
      }
    } catch (IOException e) {
      throw new StorageException("the blob store failed: " + e.getMessage(), e);
    }
  }

  /** A message points to an attachment that is not (or no longer) one of this account's. */
  private ApiException expired(String id) {
    return new ApiException(
        Status.BAD_REQUEST,
        "'" + id + "' is not an attachment this account uploaded, or it expired (an upload no message points to is"
            + " kept " + limits.uploadWindow().toHours() + " h); send the file again");
  }

  /** Housekeeping: deletes expired blobs (and bytes left without an index entry). */
  public void expire() {
    try {
      int expired = store.expire(clock.millis());
      if (expired > 0) {
        log.debug("deleted {} expired blobs", expired);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete expired blobs", e);
    }
  }

  /** How often {@link #expire} should run: often enough that a blob outlives its TTL by a tenth at most. */
  public Duration expiryPeriod() {
    Duration shortest = limits.historyTtl();
    for (Duration ttl : List.of(limits.attachmentTtl(), limits.uploadWindow())) {
      shortest = ttl.compareTo(shortest) < 0 ? ttl : shortest;
    }
    Duration period = shortest.dividedBy(10);
    return period.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : period;
  }

  private CompletableFuture<Response.Builder> reserve(Session session, CreateBlobUpload request)
      throws ApiException {
    long size = request.getSize();
    Kind kind = request.getKind() == BlobKind.BLOB_KIND_ATTACHMENT ? Kind.ATTACHMENT : Kind.HISTORY;
    DeviceAddress device = session.address();
    try {
      long expiresAt = clock.millis() + limits.uploadWindow().toMillis();
      BlobQuota.Reservation reserved = quota.reserve(device.account(), device.device(), kind, size, expiresAt);
      BlobQuota.Refusal refusal = reserved.refusal();
      if (refusal != null) {
        throw refusal.retryAfter() == null
            ? new ApiException(refusal.status(), refusal.reason())
            : Throttle.refusal(refusal.status(), refusal.reason(), refusal.retryAfter());
      }
      BlobStore.Blob blob = reserved.blob();
      return RequestRouter.ok(
          Response.newBuilder()
              .setBlobUpload(
                  BlobUpload.newBuilder()
                      .setBlobId(blob.id())
                      .setPath(BlobHttpHandler.PATH_PREFIX + blob.id())
                      .setExpiresAt(blob.expiresAt())));
    } catch (IOException e) {
      throw new StorageException("the blob store failed: " + e.getMessage(), e);
    }
  }
}
