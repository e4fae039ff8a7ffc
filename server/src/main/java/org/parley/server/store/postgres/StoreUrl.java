package org.parley.server.store.postgres;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where the clustered store lives, as given to {@code parley server --store}:
 * {@code postgresql://HOST[:PORT]/DB[?user=NAME&password=SECRET&...]}. The query is handed to the
 * JDBC driver as it is, so any of its options (sslmode, ...) can be given.
 */
public record StoreUrl(String jdbcUrl, String display) {
  public static boolean isPostgres(String url) {
    return url != null && (url.startsWith("postgresql://") || url.startsWith("postgres://"));
  }

  public static StoreUrl parse(String url) {
    if (!isPostgres(url)) {
      throw new IllegalArgumentException(
          "'" + url + "' is not a store address; use postgresql://HOST:PORT/DB[?user=NAME]");
    }
    String rest = url.substring(url.indexOf("://") + 3);
    URI uri;
    try {
      uri = new URI("postgresql://" + rest);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a valid address: " + e.getMessage());
    }
    if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() <= 1) {
      throw new IllegalArgumentException(
          "'" + url + "' needs a host and a database name: postgresql://HOST:PORT/DB");
    }
    String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    String display = "postgresql://" + hostPort + uri.getPath();
    return new StoreUrl("jdbc:postgresql://" + hostPort + uri.getPath() + query, display);
  }
}
