package org.parley.server.cluster;

/**
 * How a node finds the others (DESIGN.md §10): {@code parley server --store postgresql://...
 * --redis redis://... [--node-id N]}. Without a store address the server runs embedded.
 *
 * @param store where the shared store lives ({@code postgresql://HOST:PORT/DB[?user=..]}), or null
 *     for the embedded SQLite file in the data directory
 * @param redis where the nodes wake each other ({@code redis://HOST:PORT}), or null for one node
 * @param nodeId this node's name in logs and notices; a random one when not given
 */
public record ClusterOptions(String store, String redis, String nodeId) {
  public static ClusterOptions embedded() {
    return new ClusterOptions(null, null, null);
  }

  public boolean clustered() {
    return store != null;
  }
}
