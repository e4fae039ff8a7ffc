package org.parley.server.devices;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListSignatures.VerifiedDeviceList;
import org.parley.protocol.wire.ClaimLinkCode;
import org.parley.protocol.wire.CreateLinkToken;
import org.parley.protocol.wire.GetLinkCodeStatus;
import org.parley.protocol.wire.LinkCodeClaim;
import org.parley.protocol.wire.LinkCodeRegistered;
import org.parley.protocol.wire.LinkCodeStatus;
import org.parley.protocol.wire.RegisterLinkCode;
import org.parley.protocol.wire.DeviceListEntry;
import org.parley.protocol.wire.LinkDevice;
import org.parley.protocol.wire.LinkToken;
import org.parley.protocol.wire.Linked;
import org.parley.protocol.wire.ProvisioningAddress;
import org.parley.protocol.wire.ProvisioningMessage;
import org.parley.protocol.wire.ProvisioningRefused;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendProvisioning;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.cluster.NodeBus;
import org.parley.server.keys.KeyValidator;
import org.parley.server.limits.Throttle;
import org.parley.server.registration.NewDeviceValidator;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.Access;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.RequestRouter;
import org.parley.server.transport.Session;
import org.parley.server.transport.SessionListener;

/**
 * Linking a companion by QR code (docs/PROTOCOL.md §6). The companion waits on an unauthenticated
 * provisioning socket whose address is in its QR code; the primary gets a single-use link token,
 * sends the encrypted provisioning message through the server, and the companion registers with the
 * token and both halves of its linking proof. The QR code dies with its socket. In a cluster the
 * primary and the companion may be on different nodes: the provisioning message and the token go
 * to the companion's node over the bus ({@link ProvisioningSockets}).
 */
public final class LinkService implements SessionListener {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_PROVISIONING_BODY = 64 * 1024;
  /** A provisioning connection's address, which its QR code shows. */
  private static final Session.Slot<String> ADDRESS = Session.Slot.named("provisioning address");

  private final Accounts accounts;
  private final Clock clock;
  private final Limits limits;
  private final int maxCompanions;
  private final NewDeviceValidator validator;
  private final Throttle throttle;
  private final ProvisioningSockets sockets;
  private final LinkCodes codes;
  private final Executor blocking;
  private final Map<String, PendingLink> tokens = new ConcurrentHashMap<>();

  private static final class PendingLink {
    final UUID account;
    final int deviceId;
    final String address;
    final long expiresAt;
    volatile boolean used;

    PendingLink(UUID account, int deviceId, String address, long expiresAt) {
      this.account = account;
      this.deviceId = deviceId;
      this.address = address;
      this.expiresAt = expiresAt;
    }
  }

  /**
   * @param bus reaches companions waiting on other nodes (the in-process bus of a lone node reaches none)
   * @param codes the link codes shown (docs/PROTOCOL.md §6.1): this node's, or the cluster's
   * @param blocking where what may wait on the codes (in Redis: a round trip, up to its timeout) runs
   *     when a socket's event loop asks: never on the loop, which serves every other connection on it
   */
  public LinkService(
      Accounts accounts, Clock clock, Limits limits, int maxCompanions, Throttle throttle, NodeBus bus,
      LinkCodes codes, Executor blocking) {
    this.codes = codes;
    this.blocking = blocking;
    this.accounts = accounts;
    this.clock = clock;
    this.limits = limits;
    this.maxCompanions = maxCompanions;
    this.validator = new NewDeviceValidator(limits);
    this.throttle = throttle;
    this.sockets =
        new ProvisioningSockets(
            bus, t -> tokens.put(t.token(), new PendingLink(t.account(), t.deviceId(), t.address(), t.expiresAt())));
  }

  public void routes(RequestRouter router) {
    router
        .on(Request.BodyCase.CREATE_LINK_TOKEN, Access.PRIMARY, (s, r) -> token(s, r.getCreateLinkToken()))
        .on(Request.BodyCase.SEND_PROVISIONING, Access.PRIMARY, (s, r) -> relay(s, r.getSendProvisioning()))
        .on(Request.BodyCase.LINK_DEVICE, Access.PROVISIONING, (s, r) -> link(s, r.getLinkDevice()))
        .on(Request.BodyCase.REGISTER_LINK_CODE, Access.PROVISIONING, (s, r) -> registerCode(s, r.getRegisterLinkCode()))
        .on(Request.BodyCase.LINK_CODE_WRONG, Access.PROVISIONING, (s, r) -> wrongCode(s))
        .on(Request.BodyCase.CLAIM_LINK_CODE, Access.PRIMARY, (s, r) -> claimCode(s, r.getClaimLinkCode()))
        .on(Request.BodyCase.GET_LINK_CODE_STATUS, Access.PRIMARY, (s, r) -> codeStatus(s, r.getGetLinkCodeStatus()));
  }

  @Override
  public void opened(Session session) {
    if (session.kind() != Session.Kind.PROVISIONING) {
      return;
    }
    byte[] random = new byte[16];
    RANDOM.nextBytes(random);
    String address = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    session.put(ADDRESS, address);
    long ttl = limits.provisioningTtl().toMillis();
    long expiresAt = clock.millis() + ttl;
    // The address is shown once a primary on any node can reach the socket.
    sockets.open(address, session, () -> session.push(
        Push.newBuilder()
            .setProvisioningAddress(ProvisioningAddress.newBuilder().setAddress(address).setExpiresAt(expiresAt))
            .build()));
    closeWhenDone(session, address, ttl);
  }

  /** Closes the socket when its QR code expires, or later, when the code it shows does. */
  private void closeWhenDone(Session session, String address, long delay) {
    session.channel().eventLoop().schedule(() -> offTheLoop(() -> {
      long codeLeft = codes.expiresAt(address) - clock.millis();
      if (codeLeft > 0) {
        closeWhenDone(session, address, codeLeft);
      } else {
        session.close();
      }
    }), delay, TimeUnit.MILLISECONDS);
  }

  private void offTheLoop(Runnable task) {
    try {
      blocking.execute(task);
    } catch (RejectedExecutionException stopping) {
      // The server is stopping: its sockets close anyway, and a code left behind expires on its own.
    }
  }

  private CompletableFuture<Response.Builder> registerCode(Session session, RegisterLinkCode request)
      throws ApiException {
    if (!(session.get(ADDRESS) instanceof String address)) {
      throw new ApiException(Status.BAD_REQUEST, "wait for the provisioning address before showing a code");
    }
    throttle.take(limits.rates().linkTokens(), "code:" + session.remoteAddress(), "link codes");
    LinkCodes.Code code =
        codes.register(address, session.remoteAddress(), request.getSlot(), request.getWrapped(), request.getName(), request.getKind());
    return RequestRouter.ok(
        Response.newBuilder().setLinkCodeRegistered(LinkCodeRegistered.newBuilder().setExpiresAt(code.expiresAt())));
  }

  private CompletableFuture<Response.Builder> wrongCode(Session session) {
    if (session.get(ADDRESS) instanceof String address) {
      codes.wrong(address);
    }
    return RequestRouter.ok();
  }

  CompletableFuture<Response.Builder> claimCode(Session session, ClaimLinkCode request) throws ApiException {
    String account = session.address().account().toString();
    throttle.take(limits.rates().linkTokens(), account, "link attempts");
    LinkCodes.Claim claim = codes.claim(request.getSlot(), account);
    return RequestRouter.ok(
        Response.newBuilder()
            .setLinkCodeClaim(
                LinkCodeClaim.newBuilder()
                    .setProvisioningAddress(claim.code().address())
                    .setWrapped(claim.code().wrapped())
                    .setName(claim.code().name())
                    .setKind(claim.code().kind())
                    .setAttemptsLeft(claim.attemptsLeft())));
  }

  /**
   * The claiming primary polls this while its companion links, so a hit is free; a miss (no code,
   * or one this account did not claim) costs a link attempt, which keeps slots from being scanned.
   */
  CompletableFuture<Response.Builder> codeStatus(Session session, GetLinkCodeStatus request) throws ApiException {
    String account = session.address().account().toString();
    LinkCodes.Progress status;
    try {
      status = codes.status(request.getSlot(), account);
    } catch (ApiException miss) {
      throttle.take(limits.rates().linkTokens(), account, "link attempts");
      throw miss;
    }
    return RequestRouter.ok(
        Response.newBuilder()
            .setLinkCodeStatus(LinkCodeStatus.newBuilder().setWrong(status.wrong()).setAttemptsLeft(status.attemptsLeft())));
  }

  @Override
  public void closed(Session session) {
    if (session.kind() == Session.Kind.PROVISIONING && session.get(ADDRESS) instanceof String address) {
      sockets.close(address, session);
      offTheLoop(() -> codes.forget(address)); // called on the socket's event loop
      // A token is only good on its own socket: forgotten with it.
      tokens.values().removeIf(t -> t.address.equals(address));
    }
  }

  CompletableFuture<Response.Builder> token(Session session, CreateLinkToken request)
      throws ApiException {
    UUID account = session.address().account();
    String address = request.getProvisioningAddress();
    // Before the check: in a cluster it is a round trip through Redis, not to be had for free.
    throttle.take(limits.rates().linkTokens(), account.toString(), "link attempts");
    sockets.checkWaiting(address);
    long companions = accounts.devices(account).stream().filter(d -> !d.isPrimary()).count();
    if (companions >= maxCompanions) {
      String why =
          "this account already has " + companions + " linked companion devices, the most allowed;"
              + " unlink one with 'parley unlink ID' on the primary first";
      sockets.push(
          address,
          Push.newBuilder()
              .setProvisioningRefused(
                  ProvisioningRefused.newBuilder().setStatus(Status.LIMIT_REACHED).setMessage(why))
              .build());
      throw new ApiException(Status.LIMIT_REACHED, why);
    }
    long now = clock.millis();
    tokens.values().removeIf(t -> t.expiresAt < now);
    int deviceId = accounts.reserveDeviceId(account);
    if (deviceId > 127) {
      throw new ApiException(Status.LIMIT_REACHED, "this account has used up its device ids; register it again");
    }
    byte[] random = new byte[24];
    RANDOM.nextBytes(random);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    long expiresAt = now + limits.linkTokenTtl().toMillis();
    sockets.hand(new ProvisioningSockets.Token(token, account, deviceId, address, expiresAt));
    Account current = accounts.byId(account).orElseThrow();
    return RequestRouter.ok(
        Response.newBuilder()
            .setLinkToken(
                LinkToken.newBuilder()
                    .setToken(token)
                    .setDeviceId(deviceId)
                    .setExpiresAt(expiresAt)
                    .setNextDeviceListVersion(current.deviceListVersion() + 1)));
  }

  CompletableFuture<Response.Builder> relay(Session session, SendProvisioning request) throws ApiException {
    if (request.getBody().size() > MAX_PROVISIONING_BODY) {
      throw new ApiException(Status.TOO_LARGE, "a provisioning message is at most 64 KiB");
    }
    // A companion gives up on a message it cannot open: junk sent to waiting sockets would end their waits.
    throttle.take(
        limits.rates().provisioningMessages(), session.address().account().toString(), "provisioning messages");
    sockets.push(
        request.getAddress(),
        Push.newBuilder()
            .setProvisioningMessage(ProvisioningMessage.newBuilder().setBody(request.getBody()))
            .build());
    return RequestRouter.ok();
  }

  private CompletableFuture<Response.Builder> link(Session session, LinkDevice request)
      throws ApiException {
    PendingLink pending = tokens.get(request.getToken());
    if (pending == null) {
      throw new ApiException(Status.NOT_FOUND, "unknown link token; scan a new QR code");
    }
    synchronized (pending) {
      if (pending.used) {
        throw new ApiException(Status.CONFLICT, "this link token was already used; scan a new QR code");
      }
      if (!pending.address.equals(session.get(ADDRESS))) {
        throw new ApiException(Status.FORBIDDEN, "this link token was issued for another QR code");
      }
      if (pending.expiresAt < clock.millis()) {
        throw new ApiException(Status.EXPIRED, "the link token expired; scan a new QR code");
      }
      pending.used = true;
    }
    NewDeviceValidator.Valid device = validator.validate(request.getDevice());
    Account account = accounts.byId(pending.account).orElseThrow();
    DeviceRecord primary =
        accounts
            .device(new org.parley.server.store.DeviceAddress(pending.account, 1))
            .orElseThrow(() -> new ApiException(Status.NOT_FOUND, "the account has no primary device"));
    VerifiedDeviceList list = DeviceListCheck.verify(account, primary, request.getDeviceList());
    DeviceListCheck.checkBounds(list, maxCompanions);
    DeviceListEntry entry = list.entry(pending.deviceId);
    if (entry == null || !entry.getIdentityKey().equals(ByteString.copyFrom(device.identityKey()))) {
      throw new ApiException(
          Status.BAD_SIGNATURE, "the signed device list does not name this device with its identity key");
    }
    if (!DeviceListSignatures.verifyDeviceSignature(
        KeyValidator.identityKey(device.identityKey()),
        entry.getAccountSignature().toByteArray(),
        list.primaryIdentity(),
        request.getDeviceSignature().toByteArray())) {
      throw new ApiException(Status.BAD_SIGNATURE, "the device signature of the linking proof does not verify");
    }
    long now = clock.millis();
    DeviceRecord record =
        device.record(pending.account, pending.deviceId, now, request.getDeviceSignature().toByteArray());
    Accounts.LinkResult result =
        accounts.addCompanion(
            record, device.keys(), list.version(), request.getDeviceList().toByteArray(), maxCompanions);
    switch (result) {
      case LINKED -> {}
      case LIMIT_REACHED ->
          throw new ApiException(
              Status.LIMIT_REACHED, "the account already has the most companion devices allowed");
      case STALE_VERSION ->
          throw new ApiException(Status.STALE_VERSION, "the device list changed meanwhile; link again");
      case DEVICE_ID_TAKEN -> throw new ApiException(Status.CONFLICT, "that device id is taken; link again");
    }
    session.channel().eventLoop().schedule(session::close, 2, TimeUnit.SECONDS);
    return RequestRouter.ok(
        Response.newBuilder()
            .setLinked(Linked.newBuilder().setAccountId(pending.account.toString()).setDeviceId(pending.deviceId)));
  }
}
