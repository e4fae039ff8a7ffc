package org.parley.cli;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A JSON-RPC client of the daemon on its UNIX socket or TCP, as a script would be: one line each way. */
final class RpcClient implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  private final SocketChannel channel;
  private final OutputStream out;
  private final BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
  final List<JsonNode> notifications = new CopyOnWriteArrayList<>();

  private RpcClient(SocketAddress address) throws IOException {
    channel = SocketChannel.open(address);
    out = Channels.newOutputStream(channel);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    Thread.ofPlatform().daemon().start(() -> {
      try {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          JsonNode message = JSON.readTree(line);
          if (message.isObject() && message.has("method")) {
            notifications.add(message);
          } else {
            answers.add(message);
          }
        }
      } catch (IOException e) {
        // closed
      }
    });
  }

  static RpcClient unix(Path socket) throws IOException {
    return new RpcClient(UnixDomainSocketAddress.of(socket));
  }

  static RpcClient tcp(InetSocketAddress address) throws IOException {
    return new RpcClient(address);
  }

  /** Sends a raw line; returns the answer (a response object or a batch array). */
  JsonNode send(String line) throws Exception {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    JsonNode answer = answers.poll(60, TimeUnit.SECONDS);
    if (answer == null) {
      throw new AssertionError("no answer to " + line);
    }
    return answer;
  }

  /** Sends a line that expects no answer (notifications only). */
  void sendQuietly(String line) throws IOException {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  JsonNode call(int id, String method, String params) throws Exception {
    return send(
        "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\""
            + (params == null ? "" : ",\"params\":" + params) + "}");
  }

  /** The events of the notifications so far (their "result"). */
  List<JsonNode> events() {
    return notifications.stream().map(n -> n.path("params").path("result")).toList();
  }

  List<JsonNode> awaitEvents(int atLeast) {
    await().atMost(Duration.ofSeconds(60)).until(() -> events().size() >= atLeast);
    return events();
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
