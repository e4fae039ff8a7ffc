package org.parley.cli.web;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.parley.cli.commands.AttachmentCommand;
import org.parley.cli.commands.Caller;
import org.parley.cli.daemon.Daemon;
import org.parley.cli.daemon.HttpApi;
import org.parley.client.events.AttachmentView;

/**
 * {@code GET /web/attachment?id=ID}: a received file for the page, fetched on first request (the
 * same {@code getAttachment} handler as {@code parley attachment get}: verified before any plaintext
 * is written). What a contact sent is never run as part of the page: only raster images are served
 * as themselves (for {@code <img>}); everything else, SVG and HTML included, as a download, and every
 * answer carries a sandboxing Content-Security-Policy.
 */
final class AttachmentRoute {
  private static final Set<String> INLINE = Set.of("image/png", "image/jpeg", "image/gif", "image/webp");

  private final Daemon daemon;

  AttachmentRoute(Daemon daemon) {
    this.daemon = daemon;
  }

  void serve(HttpExchange exchange) throws IOException {
    String id = id(exchange.getRequestURI().getRawQuery());
    if (id == null) {
      HttpApi.respond(exchange, 400, "text/plain", "name the attachment: /web/attachment?id=ID\n");
      return;
    }
    AttachmentView file;
    try {
      file = daemon.run(AttachmentCommand.GET_ATTACHMENT, new AttachmentCommand.GetParams(id, null), Caller.NONE);
    } catch (RuntimeException e) {
      HttpApi.respond(exchange, 404, "text/plain", "this attachment cannot be shown: " + e.getMessage() + "\n");
      return;
    }
    if (file.path() == null || !Files.isRegularFile(Path.of(file.path()))) {
      HttpApi.respond(exchange, 502, "text/plain", "the attachment could not be fetched"
          + (file.error() != null ? ": " + file.error() : "") + "\n");
      return;
    }
    var headers = exchange.getResponseHeaders();
    String type = file.contentType() == null ? "" : file.contentType().toLowerCase(java.util.Locale.ROOT);
    if (INLINE.contains(type)) {
      headers.set("Content-Type", type);
    } else {
      headers.set("Content-Type", "application/octet-stream");
      String name = file.fileName() == null || file.fileName().isBlank() ? "attachment" : file.fileName();
      headers.set("Content-Disposition",
          "attachment; filename*=UTF-8''" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    headers.set("Content-Security-Policy", "default-src 'none'; sandbox");
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Cross-Origin-Resource-Policy", "same-origin");
    headers.set("Cache-Control", "private, max-age=3600");
    Path path = Path.of(file.path());
    exchange.sendResponseHeaders(200, Files.size(path));
    try (InputStream in = Files.newInputStream(path); OutputStream out = exchange.getResponseBody()) {
      in.transferTo(out);
    }
    exchange.close();
  }

  private static String id(String rawQuery) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.startsWith("id=") && pair.length() > 3) {
        return URLDecoder.decode(pair.substring(3), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
