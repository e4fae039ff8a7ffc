package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.AccountMismatch;
import org.parley.protocol.wire.CreateGroup;
import org.parley.protocol.wire.DeviceMismatch;
import org.parley.protocol.wire.GetKeyCounts;
import org.parley.protocol.wire.GetDevices;
import org.parley.protocol.wire.KeyCounts;
import org.parley.protocol.wire.LinkDevice;
import org.parley.protocol.wire.PutDeviceList;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.protocol.wire.UploadKeys;
import org.parley.server.limits.Throttle;
import org.parley.server.store.StorageException;
import org.parley.server.store.StorageUnavailableException;

class RequestRouterTest {
  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final List<Request.BodyCase> handled = new ArrayList<>();
  private final RequestRouter router =
      new RequestRouter()
          .on(Request.BodyCase.REQUEST_CODE, Access.ANYONE, this::answer)
          .on(Request.BodyCase.GET_KEY_COUNTS, Access.DEVICE, this::answer)
          .on(Request.BodyCase.PUT_DEVICE_LIST, Access.PRIMARY, this::answer)
          .on(Request.BodyCase.LINK_DEVICE, Access.PROVISIONING, this::answer)
          .on(Request.BodyCase.SEND_MESSAGE, Access.ANYONE, (session, request) -> {
            throw new IllegalStateException("row 17 of /var/lib/parley/parley.db holds secret 0xdeadbeef");
          })
          .on(Request.BodyCase.UPLOAD_KEYS, Access.ANYONE, (session, request) ->
              CompletableFuture.failedFuture(
                  new StorageException("disk full at /var/lib/parley", new IOException("ENOSPC"))))
          .on(Request.BodyCase.GET_DEVICES, Access.ANYONE, (session, request) ->
              CompletableFuture.failedFuture(
                  new StorageUnavailableException("connection refused", new IOException("ECONNREFUSED"))))
          .on(Request.BodyCase.REGISTER, Access.ANYONE, (session, request) -> {
            throw new ApiException(
                Status.MISMATCHED_DEVICES,
                "refresh and send again",
                response -> response.setMismatch(
                    DeviceMismatch.newBuilder().addAccounts(AccountMismatch.newBuilder().addMissing(3))));
          });

  private CompletableFuture<Response.Builder> answer(Session session, Request request) {
    handled.add(request.getBodyCase());
    return RequestRouter.ok(Response.newBuilder().setKeyCounts(KeyCounts.newBuilder().setPreKeys(12)));
  }

  @Test
  void anAllowedRequestIsAnsweredOkUnderItsIdWithTheHandlersBody() {
    Response response = dispatch(TestSessions.primary(channel), getKeyCounts(77));

    assertThat(response.getId()).isEqualTo(77);
    assertThat(response.getStatus()).isEqualTo(Status.OK);
    assertThat(response.getKeyCounts().getPreKeys()).isEqualTo(12);
  }

  @Test
  void anAnonymousSocketAskingForADeviceRequestIsUnauthenticated() {
    Response response = dispatch(TestSessions.anonymous(channel), getKeyCounts(5));

    assertThat(response.getStatus()).isEqualTo(Status.UNAUTHENTICATED);
    assertThat(response.getId()).isEqualTo(5);
    assertThat(handled).isEmpty();
  }

  @Test
  void aCompanionAskingForAPrimaryRequestIsForbidden() {
    Request putList = Request.newBuilder().setId(6).setPutDeviceList(PutDeviceList.getDefaultInstance()).build();

    assertThat(dispatch(TestSessions.companion(channel), putList).getStatus()).isEqualTo(Status.FORBIDDEN);
    assertThat(handled).isEmpty();
    assertThat(dispatch(TestSessions.primary(channel), putList).getStatus()).isEqualTo(Status.OK);
  }

  @Test
  void onlyTheProvisioningSocketMayLinkADevice() {
    Request link = Request.newBuilder().setId(8).setLinkDevice(LinkDevice.getDefaultInstance()).build();

    assertThat(dispatch(TestSessions.primary(channel), link).getStatus()).isEqualTo(Status.FORBIDDEN);
    assertThat(dispatch(TestSessions.anonymous(channel), link).getStatus()).isEqualTo(Status.FORBIDDEN);
    assertThat(dispatch(TestSessions.provisioning(channel), link).getStatus()).isEqualTo(Status.OK);
    assertThat(handled).containsExactly(Request.BodyCase.LINK_DEVICE);
  }

  @Test
  void anUnlinkedDeviceIsToldWhyWhateverItAsks() {
    Session unlinked = TestSessions.unlinked(channel, UnlinkReason.PRIMARY_INACTIVE_VALUE);

    for (Request request : List.of(getKeyCounts(1), requestCode(2))) {
      Response response = dispatch(unlinked, request);
      assertThat(response.getStatus()).isEqualTo(Status.UNLINKED);
      assertThat(response.getMessage()).contains("primary device was inactive");
    }
    assertThat(handled).isEmpty();
  }

  @Test
  void aRequestWithoutABodyOrWithOneNobodyHandlesIsABadRequest() throws Exception {
    Request empty = Request.newBuilder().setId(3).build();
    Request unrouted = Request.newBuilder().setId(4).setCreateGroup(CreateGroup.getDefaultInstance()).build();
    // A body from a newer protocol: field 99 is unknown to this server.
    Request unknown = Request.parseFrom(ByteString.copyFrom(new byte[] {0x08, 0x05, (byte) 0x9a, 0x06, 0x00}));

    assertThat(dispatch(TestSessions.primary(channel), empty))
        .extracting(Response::getStatus, Response::getMessage)
        .containsExactly(Status.BAD_REQUEST, "the request has no body");
    assertThat(dispatch(TestSessions.primary(channel), unrouted).getStatus()).isEqualTo(Status.BAD_REQUEST);
    Response toUnknown = dispatch(TestSessions.primary(channel), unknown);
    assertThat(toUnknown.getId()).isEqualTo(5);
    assertThat(toUnknown.getStatus()).isEqualTo(Status.BAD_REQUEST);
  }

  @Test
  void aFailingHandlerIsAnsweredInternalWithoutItsDetails() {
    Request send = Request.newBuilder().setId(9).setSendMessage(SendMessage.getDefaultInstance()).build();

    Response response = dispatch(TestSessions.anonymous(channel), send);

    assertThat(response.getId()).isEqualTo(9);
    assertThat(response.getStatus()).isEqualTo(Status.INTERNAL);
    assertThat(response.getMessage()).doesNotContain("parley.db", "secret", "deadbeef", "IllegalState");
  }

  @Test
  void aStorageFailureIsAnsweredInternalWithoutItsDetails() {
    Request upload = Request.newBuilder().setId(10).setUploadKeys(UploadKeys.getDefaultInstance()).build();

    Response response = dispatch(TestSessions.anonymous(channel), upload);

    assertThat(response.getStatus()).isEqualTo(Status.INTERNAL);
    assertThat(response.getMessage()).doesNotContain("/var/lib", "ENOSPC", "disk full");
  }

  @Test
  void anUnreachableStoreIsAnsweredUnavailableWithWhenToTryAgain() {
    Request get = Request.newBuilder().setId(11).setGetDevices(GetDevices.getDefaultInstance()).build();

    Response response = dispatch(TestSessions.anonymous(channel), get);

    assertThat(response.getStatus()).isEqualTo(Status.UNAVAILABLE);
    assertThat(response.getRetryAfterMs()).isEqualTo(RequestRouter.STORE_RETRY.toMillis());
    assertThat(response.getMessage())
        .as("the wait in words is the wait in retry_after_ms")
        .endsWith("try again in " + Throttle.inWords(Duration.ofMillis(response.getRetryAfterMs())))
        .doesNotContain("ECONNREFUSED");
  }

  @Test
  void aRefusalCarriesItsStatusSentenceAndBody() {
    Request register = Request.newBuilder().setId(12).setRegister(Register.getDefaultInstance()).build();

    Response response = dispatch(TestSessions.anonymous(channel), register);

    assertThat(response.getId()).isEqualTo(12);
    assertThat(response.getStatus()).isEqualTo(Status.MISMATCHED_DEVICES);
    assertThat(response.getMessage()).isEqualTo("refresh and send again");
    assertThat(response.getMismatch().getAccounts(0).getMissingList()).containsExactly(3);
  }

  @Test
  void aBodyGetsOneHandlerOnly() {
    assertThatThrownBy(() -> router.on(Request.BodyCase.REQUEST_CODE, Access.ANYONE, this::answer))
        .isInstanceOf(IllegalStateException.class);
  }

  private Response dispatch(Session session, Request request) {
    return router.dispatch(session, request).join();
  }

  private static Request getKeyCounts(long id) {
    return Request.newBuilder().setId(id).setGetKeyCounts(GetKeyCounts.getDefaultInstance()).build();
  }

  private static Request requestCode(long id) {
    return Request.newBuilder().setId(id).setRequestCode(RequestCode.newBuilder().setPhone("+15550100123")).build();
  }
}
