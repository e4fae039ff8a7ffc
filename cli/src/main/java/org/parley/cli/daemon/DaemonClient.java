package org.parley.cli.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.commands.Caller;
import org.parley.cli.rpc.RpcError;
import org.parley.client.ClientException;
import org.parley.client.events.EventJson;

/**
 * A command's way to the daemon that holds its profile: JSON-RPC on the profile's control socket.
 * Events a call hands on arrive as notifications before its answer and go to the command's
 * {@link Caller}, so the command prints what it prints standalone.
 */
public final class DaemonClient implements AutoCloseable {
  private final SocketChannel channel;
  private final BufferedReader in;
  private final OutputStream out;
  private final ObjectMapper json = new ObjectMapper();
  private final EventJson events = new EventJson();
  private long ids;

  private DaemonClient(SocketChannel channel) {
    this.channel = channel;
    this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    this.out = Channels.newOutputStream(channel);
  }

  /** The daemon holding {@code profile}, or {@code null} if none runs (a stale lock file is no daemon). */
  public static DaemonClient connect(Path profile) {
    Path socket = ProfileLock.advertised(profile);
    if (socket == null) {
      return null;
    }
    try {
      return new DaemonClient(SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Calls a method and waits for its answer, handing the events it streams to {@code caller}. */
  public <R> R call(String method, Object params, Class<R> result, Caller caller) {
    long id = ++ids;
    ObjectNode request = json.createObjectNode();
    request.put("jsonrpc", "2.0");
    request.put("id", id);
    request.put("method", method);
    request.set("params", json.valueToTree(params));
    try {
      out.write((json.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode message = json.readTree(line);
        if (message.has("method")) {
          JsonNode notification = message.path("params");
          if (notification.path("call").asLong(-1) == id) {
            if (notification.path("live").asBoolean()) {
              caller.live(events.read(notification.path("result")));
            } else {
              caller.event(events.readLogged(notification.path("result")));
            }
          }
          continue;
        }
        if (message.path("id").asLong(-1) != id) {
          continue;
        }
        JsonNode error = message.get("error");
        if (error != null) {
          throw error(error).toException();
        }
        return json.treeToValue(message.get("result"), result);
      }
      throw new ClientException("the daemon holding this profile stopped before it answered; run the command again");
    } catch (JsonProcessingException e) {
      throw new ClientException("the daemon's answer could not be read: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ClientException("the connection to the daemon broke: " + e.getMessage(), e);
    }
  }

  private RpcError error(JsonNode error) {
    Map<String, Object> data = null;
    if (error.has("data")) {
      data = new LinkedHashMap<>();
      var fields = error.get("data").properties();
      for (var field : fields) {
        data.put(field.getKey(), field.getValue().asText());
      }
    }
    return new RpcError(error.path("code").asInt(), error.path("message").asText(), data);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
