package org.parley.client.net;

import java.util.ArrayList;
import java.util.List;

/**
 * A device's server address may name several nodes of one clustered server, separated by commas
 * ({@code ws://a:8080,ws://b:8080}): any node serves any device, so the device tries them in the
 * order given and stays on the first that answers; when that node is lost, the next connection
 * finds the next one.
 */
public final class ServerUrls {
  private ServerUrls() {}

  public static List<String> split(String urls) {
    List<String> out = new ArrayList<>();
    if (urls != null) {
      for (String url : urls.split(",")) {
        if (!url.isBlank()) {
          out.add(url.strip());
        }
      }
    }
    return out;
  }

  /** The first node, for what has no failover of its own. */
  public static String first(String urls) {
    List<String> all = split(urls);
    return all.isEmpty() ? urls : all.getFirst();
  }
}
