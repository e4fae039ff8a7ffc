package org.parley.server.cluster;

/** Opens the bus a server was told to use: Redis when given one, else the in-process bus of a lone node. */
public final class NodeBusFactory {
  private NodeBusFactory() {}

  public static NodeBus open(ClusterOptions cluster) {
    if (cluster.redis() == null) {
      return new InProcessNodeBus();
    }
    return new RedisNodeBus(RedisAddress.parse(cluster.redis()), cluster.nodeId());
  }
}
