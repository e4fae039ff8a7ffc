package org.parley.server.transport;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.Request;
import org.parley.server.Limits;
import org.parley.server.testing.TestServer;

/**
 * The provisioning places of the connection caps (ConnectionAdmission#provisioning) end to end: a
 * real server and a stranger who opens companions' provisioning sockets from many source addresses
 * (Linux routes all of 127.0.0.0/8 to the loopback, so a socket bound to 127.0.N.M arrives from
 * that address, and 127.0.N.0/24 is one network).
 *
 * <p>What is seen from outside: a provisioning socket with a place is not a stranger's connection,
 * so it does not count against its address's cap of strangers ({@link #PER_ADDRESS}); an address
 * therefore opens {@code places + PER_ADDRESS} sockets before one is refused (HTTP 503).
 *
 * <p>What holds: two places per address, eight per /24. What does not: a stranger with enough
 * networks (here 127.0.N.0/24 for eight N, in the world /24s or IPv6 /48s) takes every place, and a
 * companion linking then has none: it waits in the strangers' draw (docs/operating.md).
 */
class ProvisioningPlacesIT {
  /** Strangers' connections one address may hold (the limit, set low to keep the test small). */
  static final int PER_ADDRESS = 2;
  /** Strangers' connections in all; a quarter of it are provisioning places. */
  static final int STRANGERS = 64;
  static final int PLACES = STRANGERS / 4;

  @TempDir Path dir;
  TestServer server;
  final List<Socket> open = new ArrayList<>();

  @BeforeEach
  void start() {
    server = TestServer.start(dir.resolve("server"), Clock.systemUTC(), options -> options
        .rateLimits(false) // the token buckets are another layer; this is about the connection caps
        .limits(Limits.defaults().toBuilder()
            .maxUnauthenticatedConnections(STRANGERS)
            .maxUnauthenticatedPerAddress(PER_ADDRESS)
            .provisioningTtl(Duration.ofMinutes(10))
            .build()));
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : open) {
      socket.close();
    }
    server.close();
  }

  @Test
  void oneAddressHoldsTwoPlacesAndItsOtherSocketsAreStrangers() throws IOException {
    assertThat(openUntilRefused("127.0.0.2")).isEqualTo(ConnectionAdmission.PROVISIONING_PER_ADDRESS + PER_ADDRESS);
  }

  @Test
  void oneNetworkHoldsEightPlacesAndAnotherNetworkStillGetsItsOwn() throws IOException {
    int addressesToFill = ConnectionAdmission.PROVISIONING_PER_NETWORK / ConnectionAdmission.PROVISIONING_PER_ADDRESS;
    for (int host = 2; host < 2 + addressesToFill; host++) {
      assertThat(openUntilRefused("127.0.5." + host)).as("127.0.5.%d", host)
          .isEqualTo(ConnectionAdmission.PROVISIONING_PER_ADDRESS + PER_ADDRESS);
    }
    assertThat(openUntilRefused("127.0.5.200")).as("the same /24, its places taken: no place").isEqualTo(PER_ADDRESS);
    assertThat(openUntilRefused("127.0.6.2")).as("another /24").isEqualTo(ConnectionAdmission.PROVISIONING_PER_ADDRESS + PER_ADDRESS);
  }

  /** What does not hold: the caps per address and network bound one network, not many. */
  @Test
  void aStrangerWithEnoughNetworksTakesEveryPlaceAndACompanionThenHasNone() throws IOException {
    int networks = PLACES / ConnectionAdmission.PROVISIONING_PER_ADDRESS;
    for (int network = 10; network < 10 + networks; network++) {
      for (int i = 0; i < ConnectionAdmission.PROVISIONING_PER_ADDRESS; i++) {
        assertThat(provisioning("127.0." + network + ".2")).isTrue();
      }
    }
    // They hold places: the address still has its two strangers' connections to open.
    assertThat(openUntilRefused("127.0.10.2")).isEqualTo(PER_ADDRESS);

    assertThat(openUntilRefused("127.0.99.2")).as("an honest companion's network, all places taken").isEqualTo(PER_ADDRESS);
  }

  /** Opens provisioning sockets from {@code from} until one is refused; how many were opened. */
  private int openUntilRefused(String from) throws IOException {
    int opened = 0;
    while (provisioning(from)) {
      opened++;
      assertThat(opened).as("refused at some point").isLessThan(64);
    }
    return opened;
  }

  /**
   * A companion's provisioning socket from {@code from}, by hand (the JDK's WebSocket client cannot
   * choose its source address): true once the server showed it its provisioning address (so it has
   * decided on its place), false when the upgrade was refused with HTTP 503.
   */
  private boolean provisioning(String from) throws IOException {
    Socket socket = new Socket();
    open.add(socket);
    socket.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 30_000);
    socket.setSoTimeout(30_000);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    OutputStream out = socket.getOutputStream();
    String head;
    try {
      head = upgrade(out, socket.getInputStream(), nonce);
    } catch (SocketException e) {
      // A refusal (the 503 is written at accept, then the socket closed) may reach us as a reset
      // when our request was still unread there.
      socket.close();
      return false;
    }
    DataInputStream in = new DataInputStream(socket.getInputStream());
    if (head.startsWith("HTTP/1.1 503")) {
      assertThat(head).containsIgnoringCase("Retry-After");
      socket.close();
      return false;
    }
    assertThat(head).startsWith("HTTP/1.1 101");
    sendMasked(out, Frame.newBuilder().setRequest(Request.newBuilder().setId(1).setAck(Ack.getDefaultInstance())).build().toByteArray());
    while (true) {
      byte[] message = readFrame(in);
      if (message != null && Frame.parseFrom(message).getPush().hasProvisioningAddress()) {
        return true;
      }
    }
  }

  /** Asks for the upgrade; the answer's status line and headers. */
  private String upgrade(OutputStream out, InputStream in, byte[] nonce) throws IOException {
    out.write(("GET /v1/provisioning HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(ISO_8859_1));
    out.flush();
    return head(in);
  }

  private static String head(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
    }
    return head.toString(ISO_8859_1);
  }

  /** One binary frame, masked as a client's must be (RFC 6455 §5.3). */
  private static void sendMasked(OutputStream out, byte[] payload) throws IOException {
    assertThat(payload.length).isLessThan(126);
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    out.write(0x82);
    out.write(0x80 | payload.length);
    out.write(mask);
    for (int i = 0; i < payload.length; i++) {
      out.write(payload[i] ^ mask[i % 4]);
    }
    out.flush();
  }

  /** The payload of the server's next (unmasked, unfragmented) binary frame; null for a control frame (a ping). */
  private static byte[] readFrame(DataInputStream in) throws IOException {
    int first = in.readUnsignedByte();
    long length = in.readUnsignedByte() & 0x7f;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] payload = new byte[Math.toIntExact(length)];
    in.readFully(payload);
    return first == 0x82 ? payload : null;
  }
}
