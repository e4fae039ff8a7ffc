package org.parley.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Frame;
import org.parley.protocol.wire.GetKeyCounts;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.Response;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestDevice;
import org.parley.server.testing.TestKeys;

/**
 * What the attacks of the AbuseITs are made of: accounts registered over the wire against a real
 * server process, a WebSocket spoken by hand over a plain socket (so it can write without ever
 * reading, from any local source address), and the server's memory and open files from /proc.
 */
final class Stranger implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  final AtomicLong written = new AtomicLong();

  private Stranger(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
  }

  /**
   * Opens a WebSocket by hand from {@code source} (any 127.x address), with the given Authorization
   * header or none, and extra header lines; a tiny receive buffer makes "not reading" bite at once.
   * Returns the HTTP status line of the server's answer as the second value via {@link #status}.
   */
  static Stranger open(int port, String source, String authorization, String... headers) throws IOException {
    return open(port, source, "", authorization, headers);
  }

  /** As {@link #open(int, String, String, String...)}, with bytes before the HTTP request (a PROXY header). */
  static Stranger open(int port, String source, String preamble, String authorization, String... headers)
      throws IOException {
    return open(port, source, preamble.getBytes(StandardCharsets.US_ASCII), authorization, headers);
  }

  /** As above, with any bytes before the HTTP request (a binary PROXY v2 header). */
  static Stranger open(int port, String source, byte[] preamble, String authorization, String... headers)
      throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
    socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    socket.setSoTimeout(10_000);
    Stranger stranger = new Stranger(socket);
    StringBuilder request =
        new StringBuilder("GET /v1/websocket HTTP/1.1\r\nHost: 127.0.0.1:" + port
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n");
    if (authorization != null) {
      request.append("Authorization: ").append(authorization).append("\r\n");
    }
    for (String header : headers) {
      request.append(header).append("\r\n");
    }
    stranger.out.write(preamble);
    stranger.out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    stranger.out.flush();
    stranger.status = stranger.readHead();
    return stranger;
  }

  private String status;

  /** Waits up to {@code wait} for each answer (a first registration loads native code: slow on a busy machine). */
  Stranger patient(java.time.Duration wait) throws IOException {
    socket.setSoTimeout((int) wait.toMillis());
    return this;
  }

  /** The status line the server answered the upgrade with ("HTTP/1.1 101 ..."), or what it said before closing. */
  String status() {
    return status;
  }

  boolean upgraded() {
    return status.startsWith("HTTP/1.1 101");
  }

  private String readHead() throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      head.write(b);
      byte[] bytes = head.toByteArray();
      int n = bytes.length;
      if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') {
        break;
      }
    }
    this.head = head.toString(StandardCharsets.US_ASCII);
    return this.head.isEmpty() ? "closed" : this.head.lines().findFirst().orElse("closed");
  }

  private String head = "";

  /** The whole head the server answered the upgrade with: status line and headers. */
  String head() {
    return head;
  }

  /** Reads whatever the server sends until it closes (a 503's body, a close frame), as text. */
  String readRest() throws IOException {
    return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  /** Writes one request as a masked binary frame (mask key zero: the payload goes as it is). */
  void send(Request.Builder request) throws IOException {
    byte[] payload = Frame.newBuilder().setRequest(request).build().toByteArray();
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 8);
    frame.write(0x82);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xff);
    }
    frame.write(new byte[4]);
    frame.write(payload);
    out.write(frame.toByteArray());
    written.incrementAndGet();
  }

  /** Sends a request and reads frames until its response arrives (pushes are skipped). */
  Response call(Request.Builder request) throws IOException {
    long id = written.get() + 1000;
    send(request.setId(id));
    InputStream in = socket.getInputStream();
    while (true) {
      int first = in.read();
      int second = in.read();
      if (first < 0 || second < 0) {
        throw new IOException("closed before the answer");
      }
      long length = second & 0x7f;
      if (length == 126) {
        length = (in.read() << 8) | in.read();
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | in.read();
        }
      }
      byte[] payload = in.readNBytes((int) length);
      if ((first & 0x0f) == 0x8) {
        throw new IOException("closed before the answer: " + new String(payload, StandardCharsets.UTF_8));
      }
      if ((first & 0x0f) != 0x2) {
        continue;
      }
      Frame frame = Frame.parseFrom(payload);
      if (frame.hasResponse() && frame.getResponse().getId() == id) {
        return frame.getResponse();
      }
    }
  }

  void hello() throws IOException {
    send(Request.newBuilder().setAck(Ack.getDefaultInstance()));
  }

  boolean isClosedByPeer() {
    try {
      socket.setSoTimeout(1);
      return socket.getInputStream().read() == -1;
    } catch (IOException e) {
      return e instanceof java.net.SocketTimeoutException ? false : true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  // ------------------------------------------------------------------ accounts over the wire

  /** Registers as 'parley register' and 'parley verify' do: one short connection for each step. */
  static TestDevice register(ServerProcess server, String phone) {
    TestKeys keys = TestKeys.generate();
    // A server just started answers its first requests slowly on a busy machine (CI beside other suites).
    java.time.Duration patience = java.time.Duration.ofSeconds(60);
    try (RawClient anonymous = RawClient.connect(server.url(), "/v1/websocket", null, patience)) {
      ok(anonymous.call(Request.newBuilder().setRequestCode(RequestCode.newBuilder().setPhone(phone)), patience));
    }
    String code = server.codeFor(phone);
    try (RawClient anonymous = RawClient.connect(server.url(), "/v1/websocket", null, patience)) {
      Response registered =
          ok(
              anonymous.call(
                  Request.newBuilder()
                      .setRegister(
                          Register.newBuilder()
                              .setPhone(phone)
                              .setCode(code)
                              .setDevice(keys.newDevice("phone of " + phone, DeviceKind.PHONE))),
                  // The server's first registration loads libsignal's native code: slow on a busy machine.
                  patience));
      return new TestDevice(
          phone, UUID.fromString(registered.getRegistered().getAccountId()), 1, keys);
    }
  }

  static RawClient connect(ServerProcess server, TestDevice device) {
    return RawClient.device(server.url(), device.account(), device.deviceId(), device.keys().credential());
  }

  /** As {@link #connect(ServerProcess, TestDevice)}, waiting up to {@code timeout} (a server under attack and load). */
  static RawClient connect(ServerProcess server, TestDevice device, java.time.Duration timeout) {
    return RawClient.device(server.url(), device.account(), device.deviceId(), device.keys().credential(), timeout);
  }

  /** A 1:1 envelope of {@code bytes} random bytes to the primary of {@code to} (the sender has no other device). */
  static Request.Builder message(TestDevice to, int bytes) {
    byte[] content = new byte[bytes];
    new java.util.Random(bytes).nextBytes(content);
    return Request.newBuilder()
        .setSendMessage(
            SendMessage.newBuilder()
                .setTimestamp(System.currentTimeMillis())
                .addMessages(
                    OutgoingMessage.newBuilder()
                        .setDestinationAccount(to.account().toString())
                        .setDestinationDevice(1)
                        .setDestinationRegistrationId(to.keys().registrationId())
                        .setType(CiphertextType.WHISPER)
                        .setContent(com.google.protobuf.ByteString.copyFrom(content))));
  }

  /** Takes pushes (queue-empty, pre-keys-low) until an envelope comes; fails if none does. */
  static org.parley.protocol.wire.Envelope awaitEnvelope(RawClient device, String what) {
    return awaitEnvelope(device, what, RawClient.TIMEOUT);
  }

  /** As {@link #awaitEnvelope(RawClient, String)}, waiting up to {@code timeout} for each push. */
  static org.parley.protocol.wire.Envelope awaitEnvelope(RawClient device, String what, java.time.Duration timeout) {
    for (int i = 0; i < 5; i++) {
      var push = device.nextPush(timeout);
      if (push.hasEnvelope()) {
        return push.getEnvelope();
      }
    }
    throw new AssertionError("no envelope: " + what);
  }

  static Response ok(Response response) {
    if (response.getStatus() != Status.OK) {
      throw new AssertionError("refused: " + response.getStatus() + " " + response.getMessage());
    }
    return response;
  }

  // ------------------------------------------------------------------ floods

  /** What a flood does with each connection it opened ({@code n} counts them). */
  @FunctionalInterface
  interface OnOpen {
    void opened(Socket socket, long n) throws IOException;
  }

  /**
   * Opens connections to the server from 20 local addresses ({@code addresses}1 to 20, e.g.
   * "127.0.2.") for as long as {@code flooding} holds, keeping the newest 2,000 open; counts them in
   * {@code opened}. Run it on a thread of its own.
   */
  static void flood(int port, String addresses, AtomicBoolean flooding, AtomicInteger opened, OnOpen onOpen) {
    ArrayDeque<Socket> held = new ArrayDeque<>();
    long n = 0;
    try {
      while (flooding.get()) {
        for (int address = 1; address <= 20 && flooding.get(); address++, n++) {
          Socket socket = new Socket();
          try {
            socket.bind(new InetSocketAddress(InetAddress.getByName(addresses + address), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            held.add(socket);
            opened.incrementAndGet();
            onOpen.opened(socket, n);
          } catch (IOException e) {
            socket.close();
          }
          if (held.size() > 2_000) {
            held.removeFirst().close();
          }
        }
      }
    } catch (IOException e) {
      // the test ends
    } finally {
      for (Socket socket : held) {
        try {
          socket.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    }
  }

  /**
   * How many of {@code attempts} connections of {@code device} were taken and answered during a
   * flood; every fifth also sends {@code to} a message that must reach {@code toDevice}, a device
   * connected before the flood.
   */
  static int connectionsThrough(
      ServerProcess server, TestDevice device, TestDevice to, RawClient toDevice, int attempts,
      java.time.Duration patience) {
    int connected = 0;
    for (int i = 0; i < attempts; i++) {
      try (RawClient client = connect(server, device, patience)) {
        if (client.call(Request.newBuilder().setGetKeyCounts(GetKeyCounts.getDefaultInstance()), patience).getStatus()
            == Status.OK) {
          connected++;
        }
        if (i % 5 == 0) {
          ok(client.call(message(to, 64), patience));
          awaitEnvelope(toDevice, "to a device connected before the flood", patience);
        }
      } catch (RuntimeException e) {
        // refused or closed: counted as not connected
      }
    }
    return connected;
  }

  // ------------------------------------------------------------------ the server process from /proc

  /** Resident memory of a process, in bytes. */
  static long rss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  static int openFiles(long pid) throws IOException {
    try (var files = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return (int) files.count();
    }
  }
}
