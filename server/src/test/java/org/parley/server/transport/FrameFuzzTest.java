package org.parley.server.transport;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.UUID;
import org.parley.protocol.DeviceListSignatures;
import org.parley.protocol.DeviceListException;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Status;
import org.parley.server.Limits;
import org.parley.server.keys.KeyValidator;
import org.parley.server.registration.NewDeviceValidator;

/**
 * What any stranger can send a connection: bytes as a WebSocket message, through the frame codec,
 * the bounds, the unknown-field check, the request router with its access checks, and the
 * validators of what a request carries (new devices, key uploads, signed device lists). Every input
 * is answered with at most one response (a refusal names its reason) and nothing escapes as an
 * exception; the connection stays open unless it was closed for repeated garbage.
 */
class FrameFuzzTest {
  private static final Limits LIMITS = Limits.defaults();
  private static final NewDeviceValidator DEVICES = new NewDeviceValidator(LIMITS);
  private static final KeyValidator KEYS = new KeyValidator(LIMITS);
  private static final RequestRouter ROUTER = router();

  private static RequestRouter router() {
    RequestRouter router = new RequestRouter();
    for (Request.BodyCase body : Request.BodyCase.values()) {
      if (body == Request.BodyCase.BODY_NOT_SET || body == Request.BodyCase.ACK) {
        continue;
      }
      Access access =
          switch (body) {
            case REGISTER, REQUEST_CODE -> Access.ANYONE;
            case LINK_DEVICE -> Access.PROVISIONING;
            case PUT_DEVICE_LIST -> Access.PRIMARY;
            default -> Access.DEVICE;
          };
      router.on(body, access, (session, request) -> {
        switch (request.getBodyCase()) {
          case REGISTER -> DEVICES.validate(request.getRegister().getDevice());
          case LINK_DEVICE -> DEVICES.validate(request.getLinkDevice().getDevice());
          case UPLOAD_KEYS ->
              KEYS.validate(
                  request.getUploadKeys().getKeys(), KeyValidator.identityKey(session.device().identityKey()), false);
          case PUT_DEVICE_LIST -> {
            try {
              DeviceListSignatures.verify(request.getPutDeviceList().getDeviceList(), UUID.randomUUID(), null);
            } catch (DeviceListException e) {
              throw new ApiException(Status.BAD_SIGNATURE, e.getMessage());
            }
          }
          default -> {}
        }
        return RequestRouter.ok();
      });
    }
    return router;
  }

  @FuzzTest(maxDuration = "60s")
  void anyBytesFromAnyoneAreAnsweredNeverThrown(FuzzedDataProvider data) {
    EmbeddedChannel channel = new EmbeddedChannel();
    Session session =
        switch (data.consumeInt(0, 3)) {
          case 0 -> TestSessions.anonymous(channel);
          case 1 -> TestSessions.provisioning(channel);
          case 2 -> TestSessions.primary(channel);
          default -> TestSessions.unlinked(channel);
        };
    channel.pipeline()
        .addLast(new FrameCodec())
        .addLast(new ConnectionHandler(session, ROUTER, new NoDelivery(), new RequestBounds(LIMITS, 4), 1 << 20));
    try {
      int messages = 0;
      while (data.remainingBytes() > 0 && messages++ < 8) {
        byte[] bytes = data.consumeBytes(data.consumeInt(0, 4096));
        Object message =
            data.consumeBoolean()
                ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes))
                : new TextWebSocketFrame(Unpooled.wrappedBuffer(bytes));
        channel.writeInbound(message);
        channel.runPendingTasks();
        int responses = 0;
        Object out;
        while ((out = channel.readOutbound()) != null) {
          if (out instanceof Frame frame && frame.hasResponse()) {
            responses++;
            if (frame.getResponse().getStatus() != Status.OK && frame.getResponse().getMessage().isBlank()) {
              throw new AssertionError("a refusal without a reason: " + frame.getResponse());
            }
          }
          ReferenceCountUtil.release(out);
        }
        if (responses > 1) {
          throw new AssertionError(responses + " responses to one message");
        }
      }
      channel.checkException();
    } finally {
      channel.finishAndReleaseAll();
    }
  }

  private static final class NoDelivery implements DeliveryHooks {
    @Override
    public void ack(Session session, Request request) {}

    @Override
    public void writable(Session session) {}
  }
}
