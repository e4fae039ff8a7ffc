package org.parley.server.cluster;

/**
 * Housekeeping that must run on one node at a time (the inactivity reaper, expiry of old envelopes):
 * every node schedules it, and a node runs it only while no other does (DESIGN.md §10).
 */
public interface Singletons extends AutoCloseable {
  /** Runs the task unless another node is running the task of that name now; says whether it ran. */
  boolean runAlone(String name, Runnable task);

  @Override
  default void close() {}

  /** One node: nobody to take turns with. */
  static Singletons alone() {
    return (name, task) -> {
      task.run();
      return true;
    };
  }

  /** Alone when embedded; a PostgreSQL advisory lock per task name when clustered. */
  static Singletons forCluster(ClusterOptions cluster) {
    return cluster.clustered()
        ? new org.parley.server.store.postgres.PostgresSingletons(
            org.parley.server.store.postgres.StoreUrl.parse(cluster.store()))
        : alone();
  }
}
