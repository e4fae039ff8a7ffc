package org.parley.server.cluster;

/** Opens the bus a server was told to use: Redis when given one, else the in-process bus of a lone node. */
public final class NodeBusFactory {
  private NodeBusFactory() {}

  /** @param redis the node's Redis client when clustered with one, else null */
  public static NodeBus open(ClusterOptions cluster, RedisClients redis) {
    if (redis == null) {
      return new InProcessNodeBus();
    }
    return new RedisNodeBus(redis, cluster.nodeId());
  }
}
