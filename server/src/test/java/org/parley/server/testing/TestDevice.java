package org.parley.server.testing;

import com.google.protobuf.ByteString;
import java.util.UUID;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;

/** A device registered through the wire protocol, as a test holds it: who it is and its keys. */
public record TestDevice(String phone, UUID account, int deviceId, TestKeys keys) {

  /**
   * Registers {@code phone} the way a new primary does (DESIGN.md §2): asks for a verification
   * code on an anonymous socket, reads it from the captured SMS and registers with fresh keys.
   */
  public static TestDevice registerPrimary(TestServer server, String phone) {
    TestKeys keys = TestKeys.generate();
    try (RawClient anonymous = RawClient.anonymous(server.url())) {
      ok(anonymous.call(Request.newBuilder().setRequestCode(RequestCode.newBuilder().setPhone(phone))));
      Response registered =
          ok(
              anonymous.call(
                  Request.newBuilder()
                      .setRegister(
                          Register.newBuilder()
                              .setPhone(phone)
                              .setCode(server.sms().codeFor(phone))
                              .setDevice(keys.newDevice("primary of " + phone, DeviceKind.PHONE)))));
      return new TestDevice(
          phone,
          UUID.fromString(registered.getRegistered().getAccountId()),
          registered.getRegistered().getDeviceId(),
          keys);
    }
  }

  /** The {@code Authorization} header this device shows at the upgrade. */
  public String authorization() {
    return RawClient.authorization(account, deviceId, keys.credential());
  }

  /** Opens this device's authenticated socket. */
  public RawClient connect(TestServer server) {
    return RawClient.device(server.url(), account, deviceId, keys.credential());
  }

  /** Opens this device's authenticated socket and says nothing on it (see {@link RawClient#silent}). */
  public RawClient connectSilently(TestServer server) {
    return RawClient.silent(server.url(), "/v1/websocket", authorization(), RawClient.TIMEOUT);
  }

  /** A send of one envelope to this device alone, its content opaque to the server as any other. */
  public Request.Builder opaqueMessage() {
    return Request.newBuilder()
        .setSendMessage(
            SendMessage.newBuilder()
                .setTimestamp(1)
                .setNoSync(true)
                .addMessages(
                    OutgoingMessage.newBuilder()
                        .setDestinationAccount(account.toString())
                        .setDestinationDevice(deviceId)
                        .setDestinationRegistrationId(keys.registrationId())
                        .setType(CiphertextType.WHISPER)
                        .setContent(ByteString.copyFromUtf8("opaque"))));
  }

  private static Response ok(Response response) {
    if (response.getStatus() != Status.OK) {
      throw new AssertionError(
          "registration step refused: " + response.getStatus() + " " + response.getMessage());
    }
    return response;
  }
}
