package org.parley.server.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Throw-away databases on the machine's PostgreSQL (127.0.0.1:5432, user postgres, trust auth; or
 * {@code PARLEY_TEST_POSTGRES=HOST:PORT}). Each test gets a database of its own and drops it.
 */
public final class TestPostgres {
  private static final String SERVER =
      System.getenv().getOrDefault("PARLEY_TEST_POSTGRES", "127.0.0.1:5432");

  /** This JVM's database for {@link #createSchema}: made on first use, dropped when the JVM exits. */
  private static String sharedDatabase;

  private TestPostgres() {}

  /** An empty schema of its own: as good as a fresh database for a store, and far cheaper to make. */
  public record Schema(String database, String name) {
    /** The {@code --store} address whose connections work in this schema. */
    public String storeUrl() {
      return TestPostgres.storeUrl(database) + "&currentSchema=" + name;
    }

    public void drop() {
      execute(database, "DROP SCHEMA IF EXISTS " + name + " CASCADE");
    }
  }

  public static Schema createSchema(String prefix) {
    String database;
    synchronized (TestPostgres.class) {
      if (sharedDatabase == null) {
        sharedDatabase = createDatabase("parley_tests");
        String name = sharedDatabase;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> dropDatabase(name)));
      }
      database = sharedDatabase;
    }
    String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    execute(database, "CREATE SCHEMA " + name);
    return new Schema(database, name);
  }

  /** Creates an empty database and returns its name. */
  public static String createDatabase(String prefix) {
    String name = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    admin("CREATE DATABASE " + name);
    return name;
  }

  /** The {@code --store} address of a database made here. */
  public static String storeUrl(String database) {
    return storeUrl(SERVER, database);
  }

  public static String storeUrl(String hostPort, String database) {
    return "postgresql://" + hostPort + "/" + database + "?user=postgres";
  }

  public static void dropDatabase(String name) {
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }

  private static void admin(String sql) {
    execute("postgres", sql);
  }

  private static void execute(String database, String sql) {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + SERVER + "/" + database + "?user=postgres");
        Statement statement = c.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL at " + SERVER + " is needed for this test (" + e.getMessage()
              + "); .ci/run starts it, or set PARLEY_TEST_POSTGRES=HOST:PORT",
          e);
    }
  }
}
