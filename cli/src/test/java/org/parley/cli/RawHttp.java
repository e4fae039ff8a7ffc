package org.parley.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * HTTP/1.1 by hand, so a test can send what a browser on another site or a script could: any Host
 * header, any token, no token.
 */
final class RawHttp {
  record Response(int status, Map<String, String> headers, String body) {}

  private RawHttp() {}

  static Response request(InetSocketAddress server, String method, String path, Map<String, String> headers, String body)
      throws IOException {
    try (Socket socket = new Socket(server.getAddress(), server.getPort())) {
      socket.setSoTimeout(60_000);
      StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
      headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
      byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      if (body != null) {
        request.append("Content-Type: application/json\r\nContent-Length: ").append(bytes.length).append("\r\n");
      }
      request.append("Connection: close\r\n\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.write(bytes);
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      int status = Integer.parseInt(in.readLine().split(" ")[1]);
      Map<String, String> responseHeaders = new LinkedHashMap<>();
      for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
        int colon = line.indexOf(':');
        responseHeaders.put(line.substring(0, colon).toLowerCase(), line.substring(colon + 1).strip());
      }
      StringBuilder content = new StringBuilder();
      boolean chunked = "chunked".equalsIgnoreCase(responseHeaders.get("transfer-encoding"));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (chunked && line.matches("[0-9a-fA-F]+")) {
          continue;
        }
        content.append(line).append('\n');
      }
      return new Response(status, responseHeaders, content.toString());
    }
  }

  /**
   * Reads a server-sent event stream until {@code enough} holds for the events' data lines, then
   * hangs up (as a consumer that goes away would). Returns each event's id and data.
   */
  static List<String[]> events(InetSocketAddress server, String path, Map<String, String> headers,
      Predicate<List<String[]>> enough) throws IOException {
    try (Socket socket = new Socket(server.getAddress(), server.getPort())) {
      socket.setSoTimeout(60_000);
      StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
      headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
      request.append("\r\n");
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String status = in.readLine();
      if (!status.contains(" 200 ")) {
        throw new IOException("the event stream answered " + status);
      }
      List<String[]> events = new ArrayList<>();
      String id = null;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("data: ")) {
          events.add(new String[] {id, line.substring(6)});
          if (enough.test(events)) {
            return events;
          }
        }
      }
      return events;
    }
  }
}
