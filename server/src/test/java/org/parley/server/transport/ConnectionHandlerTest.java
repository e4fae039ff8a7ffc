package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Sent;
import org.parley.protocol.wire.Status;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.StoreFixtures;

class ConnectionHandlerTest {
  /** The handler's tolerance (ConnectionHandler.MAX_MALFORMED); one more closes the connection. */
  private static final int TOLERATED_MALFORMED = 16;
  private static final int MAX_IN_FLIGHT = ConnectionHandler.MAX_PENDING_REQUESTS;

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final List<Request> handled = new ArrayList<>();
  private final RecordingHooks hooks = new RecordingHooks();
  /** Whether the send handler says it would block (then its sends go to a request thread). */
  private boolean sendsBlock;
  private int nonBlockingAsked;
  private final RequestRouter router =
      new RequestRouter()
          .on(Request.BodyCase.REQUEST_CODE, Access.ANYONE, (session, request) -> {
            handled.add(request);
            return RequestRouter.ok(Response.newBuilder().setSent(Sent.newBuilder().setEnvelopes(3)));
          })
          .on(
              Request.BodyCase.SEND_MESSAGE,
              Access.DEVICE,
              (session, request) -> {
                nonBlockingAsked++;
                return !sendsBlock;
              },
              (session, request) -> {
                handled.add(request);
                return RequestRouter.ok(Response.newBuilder().setSent(Sent.newBuilder().setEnvelopes(1)));
              });

  @AfterEach
  void releaseLeftovers() {
    channel.finishAndReleaseAll();
  }

  @Test
  void aRequestIsDispatchedAndAnsweredUnderItsId() {
    attach(TestSessions.anonymous(channel));

    channel.writeInbound(requestCode(42));

    assertThat(handled).extracting(Request::getId).containsExactly(42L);
    Response response = nextResponse();
    assertThat(response.getId()).isEqualTo(42);
    assertThat(response.getStatus()).isEqualTo(Status.OK);
    assertThat(response.getSent().getEnvelopes()).isEqualTo(3);
  }

  @Test
  void aRequestWithAFieldThisServerDoesNotKnowIsRefusedNotSilentlyCut() {
    attach(TestSessions.anonymous(channel));
    Frame withUnknown =
        Frame.newBuilder()
            .setRequest(
                Request.newBuilder()
                    .setId(7)
                    .setRequestCode(
                        RequestCode.newBuilder()
                            .setPhone("+15550000000")
                            .setUnknownFields(
                                com.google.protobuf.UnknownFieldSet.newBuilder()
                                    .addField(99, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                                    .build())))
            .build();

    channel.writeInbound(withUnknown);

    assertThat(handled).isEmpty();
    Response response = nextResponse();
    assertThat(response.getId()).isEqualTo(7);
    assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(response.getMessage()).contains("unknown field Frame.request.request_code.#99");
  }

  @Test
  void aMalformedFrameIsAnsweredWithBadRequestAndTheConnectionStaysUp() {
    attach(TestSessions.anonymous(channel));

    channel.writeInbound(new FrameCodec.MalformedFrame("not a valid frame: truncated"));

    Response response = nextResponse();
    assertThat(response.getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(response.getMessage()).isEqualTo("not a valid frame: truncated");
    assertThat(channel.isOpen()).isTrue();
    channel.writeInbound(requestCode(5));
    assertThat(nextResponse().getStatus()).isEqualTo(Status.OK);
  }

  @Test
  void aFrameThatIsNotARequestIsRefused() {
    attach(TestSessions.anonymous(channel));

    channel.writeInbound(Frame.newBuilder().setResponse(Response.newBuilder().setId(3)).build());
    channel.writeInbound(Frame.getDefaultInstance());

    assertThat(nextResponse().getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(nextResponse().getStatus()).isEqualTo(Status.BAD_REQUEST);
    assertThat(handled).isEmpty();
  }

  @Test
  void tooManyMalformedFramesCloseTheConnectionWithPolicyViolation() {
    attach(TestSessions.anonymous(channel));

    for (int i = 0; i < TOLERATED_MALFORMED; i++) {
      channel.writeInbound(new FrameCodec.MalformedFrame("bad " + i));
      assertThat(nextResponse().getStatus()).isEqualTo(Status.BAD_REQUEST);
    }
    assertThat(channel.isOpen()).as("still tolerated").isTrue();

    channel.writeInbound(new FrameCodec.MalformedFrame("one too many"));

    assertThat(nextResponse().getStatus()).as("the last one is answered too").isEqualTo(Status.BAD_REQUEST);
    CloseWebSocketFrame close = channel.readOutbound();
    try {
      assertThat(close.statusCode()).isEqualTo(WebSocketCloseStatus.POLICY_VIOLATION.code());
    } finally {
      close.release();
    }
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void readingStopsWhileTooManyRequestsWaitAndResumesWhenTheyRun() {
    List<Runnable> stalled = new ArrayList<>();
    DeviceRecord primary = StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1);
    attach(TestSessions.device(channel, primary, stalled::add));

    for (int id = 1; id < MAX_IN_FLIGHT; id++) {
      channel.writeInbound(requestCode(id));
    }
    assertThat(channel.config().isAutoRead()).as("still reading below the limit").isTrue();
    channel.writeInbound(requestCode(MAX_IN_FLIGHT));

    assertThat(channel.config().isAutoRead()).as("reading stopped at the limit").isFalse();
    assertThat((Object) channel.readOutbound()).as("nothing refused: the client just waits").isNull();
    stalled.forEach(Runnable::run);
    channel.runPendingTasks();
    assertThat(handled).hasSize(MAX_IN_FLIGHT);
    assertThat(channel.config().isAutoRead()).as("reading again once they ran").isTrue();
  }

  @Test
  void aClientThatDoesNotReadItsAnswersGetsNoMoreRequestsRunUntilItDrains() {
    attach(TestSessions.anonymous(channel));
    channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));
    // An unflushed write fills the outbound buffer past the high mark, as a reader that stalls would.
    channel.write(io.netty.buffer.Unpooled.wrappedBuffer(new byte[64]));
    assertThat(channel.isWritable()).isFalse();
    channel.pipeline().fireChannelWritabilityChanged();

    channel.writeInbound(requestCode(1));

    assertThat(handled).as("the request waits while the socket is full").isEmpty();
    assertThat(channel.config().isAutoRead()).as("and nothing more is read").isFalse();
    channel.flushOutbound();
    io.netty.util.ReferenceCountUtil.release(channel.readOutbound());
    assertThat(channel.isWritable()).isTrue();
    channel.runPendingTasks();

    assertThat(handled).extracting(Request::getId).containsExactly(1L);
    assertThat(channel.config().isAutoRead()).isTrue();
    assertThat(nextResponse().getId()).isEqualTo(1);
  }

  @Test
  void aRequestOutsideItsBoundsIsRefusedWithTheReason() {
    attach(TestSessions.anonymous(channel));
    Frame longPhone =
        Frame.newBuilder()
            .setRequest(Request.newBuilder().setId(5).setRequestCode(RequestCode.newBuilder().setPhone("+1".repeat(40))))
            .build();

    channel.writeInbound(longPhone);

    assertThat(handled).isEmpty();
    Response response = nextResponse();
    assertThat(response.getStatus()).isEqualTo(Status.TOO_LARGE);
    assertThat(response.getMessage()).isEqualTo("a phone number may be at most 32 characters");
  }

  @Test
  void acksOfADeviceGoToItsDeliveryAndAreNotAnswered() {
    Session device = TestSessions.primary(channel);
    attach(device);
    Request ack = Request.newBuilder().setId(11).setAck(Ack.newBuilder()).build();

    channel.writeInbound(Frame.newBuilder().setRequest(ack).build());

    assertThat(hooks.acks).containsExactly(ack);
    assertThat((Object) channel.readOutbound()).isNull();
  }

  @Test
  void aWritableSocketWakesTheDeviceDelivery() {
    Session device = TestSessions.primary(channel);
    attach(device);

    channel.pipeline().fireChannelWritabilityChanged();

    assertThat(hooks.writable).containsExactly(device);
  }

  @Test
  void aSendThatDoesNotBlockIsHandledOnTheEventLoopWithoutARequestThread() {
    List<Runnable> requestThreads = new ArrayList<>();
    attach(TestSessions.device(channel, primary(), requestThreads::add));

    channel.writeInbound(send(1));

    assertThat(requestThreads).as("no hand-off").isEmpty();
    assertThat(handled).extracting(Request::getId).containsExactly(1L);
    assertThat(nextResponse().getId()).isEqualTo(1);
  }

  @Test
  void aSendThatMayBlockGoesToARequestThread() {
    sendsBlock = true;
    List<Runnable> requestThreads = new ArrayList<>();
    attach(TestSessions.device(channel, primary(), requestThreads::add));

    channel.writeInbound(send(1));

    assertThat(handled).isEmpty();
    requestThreads.forEach(Runnable::run);
    assertThat(handled).extracting(Request::getId).containsExactly(1L);
    assertThat(nextResponse().getId()).isEqualTo(1);
  }

  @Test
  void aSendThatDoesNotBlockWaitsBehindTheRequestsOfItsConnectionThatCameFirst() {
    List<Runnable> requestThreads = new ArrayList<>();
    attach(TestSessions.device(channel, primary(), requestThreads::add));

    channel.writeInbound(requestCode(1));
    channel.writeInbound(send(2));

    assertThat(handled).as("not ahead of the request before it").isEmpty();
    requestThreads.forEach(Runnable::run);
    assertThat(handled).extracting(Request::getId).containsExactly(1L, 2L);
    assertThat(nextResponse().getId()).isEqualTo(1);
    assertThat(nextResponse().getId()).isEqualTo(2);
  }

  @Test
  void aSendThatDoesNotBlockWaitsWhileTheClientDoesNotReadItsAnswers() {
    List<Runnable> requestThreads = new ArrayList<>();
    attach(TestSessions.device(channel, primary(), requestThreads::add));
    channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));
    channel.write(io.netty.buffer.Unpooled.wrappedBuffer(new byte[64]));
    channel.pipeline().fireChannelWritabilityChanged();

    channel.writeInbound(send(1));

    assertThat(handled).isEmpty();
    channel.flushOutbound();
    io.netty.util.ReferenceCountUtil.release(channel.readOutbound());
    requestThreads.forEach(Runnable::run);
    assertThat(handled).extracting(Request::getId).containsExactly(1L);
  }

  @Test
  void onlyThoseAllowedToSendAreAskedWhetherTheirSendBlocks() {
    attach(TestSessions.anonymous(channel));

    channel.writeInbound(send(1));

    assertThat(nonBlockingAsked).isZero();
    assertThat(handled).isEmpty();
    assertThat(nextResponse().getStatus()).isEqualTo(Status.UNAUTHENTICATED);
  }

  private static DeviceRecord primary() {
    return StoreFixtures.primary(UUID.randomUUID(), StoreFixtures.credentialHash(), 1);
  }

  private static Frame send(long id) {
    return Frame.newBuilder()
        .setRequest(
            Request.newBuilder()
                .setId(id)
                .setSendMessage(
                    SendMessage.newBuilder()
                        .addMessages(OutgoingMessage.newBuilder().setDestinationAccount(UUID.randomUUID().toString()))))
        .build();
  }

  private void attach(Session session) {
    channel.pipeline()
        .addLast(
            new ConnectionHandler(
                session, router, hooks, new RequestBounds(org.parley.server.Limits.defaults(), 4), 1 << 20));
  }

  private static Frame requestCode(long id) {
    return Frame.newBuilder()
        .setRequest(Request.newBuilder().setId(id).setRequestCode(RequestCode.newBuilder().setPhone("+15550100123")))
        .build();
  }

  private Response nextResponse() {
    Object out = channel.readOutbound();
    assertThat(out).isInstanceOf(Frame.class);
    return ((Frame) out).getResponse();
  }

  private static final class RecordingHooks implements DeliveryHooks {
    final List<Request> acks = new ArrayList<>();
    final List<Session> writable = new ArrayList<>();

    @Override
    public void ack(Session session, Request request) {
      acks.add(request);
    }

    @Override
    public void writable(Session session) {
      writable.add(session);
    }
  }
}
