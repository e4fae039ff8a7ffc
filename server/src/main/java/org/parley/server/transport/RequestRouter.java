package org.parley.server.transport;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.Status;
import org.parley.server.limits.Throttle;
import org.parley.server.store.StorageException;
import org.parley.server.store.StorageUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps each kind of request to the subsystem that answers it, checking who may ask. */
public final class RequestRouter {
  private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);
  /** The wait told when the store is unreachable: about what a database restart or failover takes. */
  static final Duration STORE_RETRY = Duration.ofSeconds(5);

  /** Answers one request; may complete later (a send completes once its commit is durable). */
  @FunctionalInterface
  public interface Handler {
    CompletableFuture<Response.Builder> handle(Session session, Request request) throws ApiException;
  }

  /**
   * Whether a handler answers this request without waiting for the store or the network: such a
   * request runs on its connection's event loop, not on a request thread.
   */
  @FunctionalInterface
  public interface NonBlocking {
    NonBlocking NEVER = (session, request) -> false;

    boolean test(Session session, Request request);
  }

  private record Route(Access access, NonBlocking nonBlocking, Handler handler) {}

  private final Map<Request.BodyCase, Route> routes = new EnumMap<>(Request.BodyCase.class);
  private final Consumer<Status> refused;

  public RequestRouter() {
    this(status -> {});
  }

  /** @param refused told the status of every answer that is not OK (the refusal counters) */
  public RequestRouter(Consumer<Status> refused) {
    this.refused = refused;
  }

  public RequestRouter on(Request.BodyCase body, Access access, Handler handler) {
    return on(body, access, NonBlocking.NEVER, handler);
  }

  /**
   * A handler that does not block for the requests {@code nonBlocking} accepts. Those run on the
   * connection's event loop: the hand-off to a request thread and back, two thread wake-ups and a
   * new virtual thread, costs about as much CPU as a send's own work.
   */
  public RequestRouter on(Request.BodyCase body, Access access, NonBlocking nonBlocking, Handler handler) {
    if (routes.putIfAbsent(body, new Route(access, nonBlocking, handler)) != null) {
      throw new IllegalStateException(body + " has two handlers");
    }
    return this;
  }

  /** Whether the request's handler says it answers it without blocking (asked only of those allowed to ask). */
  boolean nonBlocking(Session session, Request request) {
    Route route = routes.get(request.getBodyCase());
    if (route == null || route.nonBlocking() == NonBlocking.NEVER) {
      return false;
    }
    try {
      checkAccess(session, route.access());
    } catch (ApiException refused) {
      return false;
    }
    return route.nonBlocking().test(session, request);
  }

  public static CompletableFuture<Response.Builder> ok() {
    return CompletableFuture.completedFuture(Response.newBuilder());
  }

  public static CompletableFuture<Response.Builder> ok(Response.Builder body) {
    return CompletableFuture.completedFuture(body);
  }

  CompletableFuture<Response> dispatch(Session session, Request request) {
    long id = request.getId();
    try {
      Route route = routes.get(request.getBodyCase());
      if (route == null) {
        throw new ApiException(
            Status.BAD_REQUEST,
            request.getBodyCase() == Request.BodyCase.BODY_NOT_SET
                ? "the request has no body"
                : "this server does not handle " + request.getBodyCase());
      }
      checkAccess(session, route.access());
      return route
          .handler()
          .handle(session, request)
          .handle(
              (body, failure) ->
                  failure == null
                      ? body.setId(id).setStatus(Status.OK).build()
                      : refusal(id, failure, request));
    } catch (ApiException | RuntimeException e) {
      return CompletableFuture.completedFuture(refusal(id, e, request));
    }
  }

  private static void checkAccess(Session session, Access access) throws ApiException {
    if (session.kind() == Session.Kind.UNLINKED) {
      throw new ApiException(Status.UNLINKED, Unlinking.describe(session.tombstone()));
    }
    switch (access) {
      case ANYONE -> {}
      case DEVICE, PRIMARY -> {
        if (session.kind() != Session.Kind.DEVICE) {
          throw new ApiException(
              Status.UNAUTHENTICATED, "this request needs a registered device's credentials");
        }
        if (access == Access.PRIMARY && !session.device().isPrimary()) {
          throw new ApiException(Status.FORBIDDEN, "only the account's primary device may do this");
        }
      }
      case PROVISIONING -> {
        if (session.kind() != Session.Kind.PROVISIONING) {
          throw new ApiException(
              Status.FORBIDDEN, "this request is only valid on the provisioning socket");
        }
      }
    }
  }

  /** Counts a refusal made outside the router (malformed frames, too many requests in flight). */
  void refused(Status status) {
    refused.accept(status);
  }

  private Response refusal(long id, Throwable failure, Request request) {
    Response response = answer(id, failure, request);
    refused.accept(response.getStatus());
    return response;
  }

  private static Response answer(long id, Throwable failure, Request request) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ApiException api) {
      return api.toResponse(id);
    }
    if (cause instanceof StorageUnavailableException) {
      log.warn("store unreachable while answering {}: {}", request.getBodyCase(), cause.getMessage());
      // Like every refusal that passes with time, it says when to try again.
      return Throttle.refusal(Status.UNAVAILABLE, "the server cannot reach its database right now", STORE_RETRY)
          .toResponse(id);
    }
    if (cause instanceof StorageException) {
      log.error("storage failed while answering {}", request.getBodyCase(), cause);
      return Response.newBuilder()
          .setId(id)
          .setStatus(Status.INTERNAL)
          .setMessage("the server could not store or read data; try again later")
          .build();
    }
    log.error("failed to answer {}", request.getBodyCase(), cause);
    return Response.newBuilder()
        .setId(id)
        .setStatus(Status.INTERNAL)
        .setMessage("internal server error; try again later")
        .build();
  }
}
