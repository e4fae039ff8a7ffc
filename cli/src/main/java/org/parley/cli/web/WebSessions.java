package org.parley.cli.web;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;

/**
 * Who may use the page: the one-time login token that {@code parley web} prints (in the URL's
 * fragment, so it never reaches a server log or a Referer) is exchanged once for a session, kept
 * in an HttpOnly, SameSite=Strict cookie the page's script cannot read. State-changing requests
 * must also carry {@link #CSRF_HEADER}: a page on another site can make a browser send a form
 * or a simple request, never one with a custom header (that needs a CORS preflight we do not answer).
 */
final class WebSessions {
  /** The header every request of the page's script carries; a cross-site form cannot set it. */
  static final String CSRF_HEADER = "X-Parley-Request";
  /** Sessions kept at most; the oldest goes first (each browser that logs in needs a new token). */
  static final int MAX_SESSIONS = 8;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final String cookieName;
  private final Deque<byte[]> sessions = new ArrayDeque<>();
  private byte[] loginToken;

  /** @param port the page's port: cookies are shared across ports, so each instance names its own */
  WebSessions(int port) {
    this.cookieName = "parley-" + port;
  }

  /** A fresh one-time login token (the previous one, if unused, stops working). */
  synchronized String newLoginToken() {
    String token = random();
    loginToken = token.getBytes(StandardCharsets.US_ASCII);
    return token;
  }

  /** Exchanges the login token for a session cookie's value, or {@code null} if it is wrong or used. */
  synchronized String login(String presented) {
    if (presented == null || loginToken == null
        || !MessageDigest.isEqual(loginToken, presented.strip().getBytes(StandardCharsets.US_ASCII))) {
      return null;
    }
    loginToken = null;
    String session = random();
    sessions.addLast(session.getBytes(StandardCharsets.US_ASCII));
    while (sessions.size() > MAX_SESSIONS) {
      sessions.removeFirst();
    }
    return session;
  }

  /** The {@code Set-Cookie} value for a session. */
  String cookie(String session) {
    return cookieName + "=" + session + "; Path=/; HttpOnly; SameSite=Strict";
  }

  /** Whether the request carries a live session cookie. */
  boolean hasSession(HttpExchange exchange) {
    String session = cookieValue(exchange.getRequestHeaders().get("Cookie"));
    if (session == null) {
      return false;
    }
    byte[] presented = session.getBytes(StandardCharsets.US_ASCII);
    synchronized (this) {
      return sessions.stream().anyMatch(s -> MessageDigest.isEqual(s, presented));
    }
  }

  /**
   * Whether the request may use the API with its cookie: a session, and for anything but reading
   * the event stream, the page's own header.
   */
  boolean admits(HttpExchange exchange) {
    if (!hasSession(exchange)) {
      return false;
    }
    return exchange.getRequestMethod().equals("GET") || "1".equals(exchange.getRequestHeaders().getFirst(CSRF_HEADER));
  }

  private String cookieValue(List<String> headers) {
    if (headers == null) {
      return null;
    }
    for (String header : headers) {
      for (String pair : header.split(";")) {
        String trimmed = pair.strip();
        if (trimmed.startsWith(cookieName + "=")) {
          return trimmed.substring(cookieName.length() + 1);
        }
      }
    }
    return null;
  }

  private static String random() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
