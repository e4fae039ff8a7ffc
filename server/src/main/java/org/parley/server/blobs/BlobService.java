package org.parley.server.blobs;

import io.netty.channel.ChannelHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.parley.protocol.wire.BlobUpload;
import org.parley.protocol.wire.CreateBlobUpload;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.auth.Authenticator;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.StorageException;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blob store's front (DESIGN.md §7, §10): a device reserves a blob over its WebSocket, then
 * moves the bytes over HTTP(S) on the same port ({@link BlobHttpHandler}). Blobs are
 * account-internal, leave once fetched, and expire after {@link Limits#blobTtl()} regardless.
 */
public final class BlobService {
  private static final Logger log = LoggerFactory.getLogger(BlobService.class);
  /** How long a fully fetched blob stays, so that a download cut off at its very end can resume. */
  static final Duration FETCHED_GRACE = Duration.ofMinutes(10);

  private final BlobStore store;
  private final Clock clock;
  private final Limits limits;

  public BlobService(BlobStore store, Clock clock, Limits limits) {
    this.store = store;
    this.clock = clock;
    this.limits = limits;
  }

  public void routes(RequestRouter router) {
    router.on(
        Request.BodyCase.CREATE_BLOB_UPLOAD,
        Access.DEVICE,
        (session, request) -> reserve(session, request.getCreateBlobUpload()));
  }

  /** The HTTP endpoint, one handler per connection, for the pipeline's streaming list. */
  public Supplier<ChannelHandler> httpEndpoint(Authenticator authenticator, Executor blocking) {
    return () -> new BlobHttpHandler(store, authenticator, blocking, clock);
  }

  /** Housekeeping: deletes expired blobs. */
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
    Duration period = limits.blobTtl().dividedBy(10);
    return period.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : period;
  }

  private CompletableFuture<Response.Builder> reserve(Session session, CreateBlobUpload request)
      throws ApiException {
    long size = request.getSize();
    if (size <= 0) {
      throw new ApiException(Status.BAD_REQUEST, "a blob must have a size of at least one byte");
    }
    if (size > limits.maxBlobBytes()) {
      throw new ApiException(
          Status.TOO_LARGE,
          "a blob of " + size + " bytes is larger than this server accepts (" + limits.maxBlobBytes() + " bytes)");
    }
    DeviceAddress device = session.address();
    try {
      if (store.count(device.account()) >= limits.maxBlobsPerAccount()) {
        throw new ApiException(
            Status.LIMIT_REACHED,
            "this account already has " + limits.maxBlobsPerAccount() + " blobs waiting on the server;"
                + " try again once they have been fetched or have expired");
      }
      long expiresAt = clock.millis() + limits.blobTtl().toMillis();
      BlobStore.Blob blob = store.reserve(device.account(), device.device(), size, expiresAt);
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
