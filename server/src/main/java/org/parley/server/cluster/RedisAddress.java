package org.parley.server.cluster;

/**
 * Where the nodes' Redis is: {@code redis://[:PASSWORD@]HOST:PORT[/DB][?prefix=NAME]}. The prefix
 * (default {@code parley}) starts every channel and key, so several clusters (or test runs) can
 * share one Redis.
 */
public record RedisAddress(String uri, String prefix) {
  public static RedisAddress parse(String url) {
    if (url == null || !(url.startsWith("redis://") || url.startsWith("rediss://"))) {
      throw new IllegalArgumentException("'" + url + "' is not a Redis address; use redis://HOST:PORT");
    }
    String prefix = "parley";
    String uri = url;
    int query = url.indexOf('?');
    if (query >= 0) {
      StringBuilder rest = new StringBuilder();
      for (String part : url.substring(query + 1).split("&")) {
        if (part.startsWith("prefix=")) {
          prefix = part.substring("prefix=".length());
        } else if (!part.isEmpty()) {
          rest.append(rest.isEmpty() ? "?" : "&").append(part);
        }
      }
      uri = url.substring(0, query) + rest;
    }
    if (prefix.isEmpty() || !prefix.matches("[A-Za-z0-9_.:-]+")) {
      throw new IllegalArgumentException("the Redis prefix '" + prefix + "' may hold only letters, digits and _.:-");
    }
    return new RedisAddress(uri, prefix);
  }
}
