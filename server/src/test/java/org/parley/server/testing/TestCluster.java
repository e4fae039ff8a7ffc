package org.parley.server.testing;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.parley.server.ServerConfig;
import org.parley.server.cluster.ClusterOptions;

/**
 * Several relay nodes in this JVM, clustered as in production (DESIGN.md §10): one PostgreSQL schema
 * of their own and one Redis key prefix of their own on the machine's services, a data directory
 * each. Cheaper than server processes, for what needs two nodes but not a process to kill.
 */
public final class TestCluster implements AutoCloseable {
  /** The machine's Redis ({@code PARLEY_TEST_REDIS} to use another). */
  public static final String REDIS = System.getenv().getOrDefault("PARLEY_TEST_REDIS", "redis://127.0.0.1:6379");

  private final TestPostgres.Schema schema;
  private final String redis;
  private final List<TestServer> nodes = new ArrayList<>();

  private TestCluster(TestPostgres.Schema schema, String redis) {
    this.schema = schema;
    this.redis = redis;
  }

  public static TestCluster start(Path dir, int count) {
    return start(dir, count, Clock.systemUTC(), b -> b);
  }

  public static TestCluster start(Path dir, int count, Clock clock, UnaryOperator<ServerConfig.Builder> options) {
    String prefix = "test-" + UUID.randomUUID().toString().substring(0, 8);
    TestCluster cluster = new TestCluster(TestPostgres.createSchema("cluster"), REDIS + "?prefix=" + prefix);
    try {
      for (int i = 0; i < count; i++) {
        ClusterOptions node = new ClusterOptions(cluster.schema.storeUrl(), cluster.redis, "node" + i);
        cluster.nodes.add(TestServer.start(dir.resolve("node" + i), clock, b -> options.apply(b).cluster(node)));
      }
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  public TestServer node(int i) {
    return nodes.get(i);
  }

  /** The {@code --redis} address with this cluster's prefix. */
  public String redis() {
    return redis;
  }

  @Override
  public void close() {
    nodes.forEach(TestServer::close);
    schema.drop();
  }
}
