package org.parley.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.parley.server.testing.TestPorts;

/**
 * A PostgreSQL and a Redis of the test's own, on ephemeral ports, that it may kill and restart:
 * the machine's shared services are never stopped (other tests use them). PostgreSQL comes from the
 * Debian package's binaries ({@code /usr/lib/postgresql/N/bin}); as root it runs as user postgres.
 */
final class PrivateServices {
  private PrivateServices() {}

  /** A throw-away PostgreSQL cluster: initdb into a directory of its own, trust auth on loopback. */
  static final class Postgres implements AutoCloseable {
    private final Path dir;
    private final Path bin;
    private final int port;

    Postgres() throws IOException, InterruptedException {
      this.bin = binaries();
      this.port = TestPorts.free();
      this.dir = Files.createTempDirectory("parley-private-pg-");
      run(List.of("chmod", "755", dir.toString()));
      if (isRoot()) {
        run(List.of("chown", "postgres", dir.toString()));
      }
      asOwner(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust", "-U", "postgres",
          "--no-sync", "-E", "UTF8");
      start();
      asOwner(bin.resolve("createdb").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "parley");
    }

    String storeUrl() {
      return "postgresql://127.0.0.1:" + port + "/parley?user=postgres";
    }

    void start() throws IOException, InterruptedException {
      asOwner(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(),
          "-w", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "start");
    }

    /** Stops it the way a crash would: no checkpoint, clients cut off. */
    void crash() throws IOException, InterruptedException {
      asOwner(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
    }

    @Override
    public void close() throws IOException, InterruptedException {
      try {
        asOwner(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
      } catch (IOException stopped) {
        // already down
      }
      delete(dir);
    }

    private static Path binaries() throws IOException {
      try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
        return versions
            .map(v -> v.resolve("bin"))
            .filter(b -> Files.isExecutable(b.resolve("initdb")))
            .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
            .orElseThrow(() -> new IOException("no PostgreSQL server binaries under /usr/lib/postgresql; .ci/run installs them"));
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IOException("no /usr/lib/postgresql: install PostgreSQL (.ci/run does)", e);
      }
    }

    private void asOwner(String... command) throws IOException, InterruptedException {
      List<String> full = new ArrayList<>();
      if (isRoot()) {
        full.addAll(List.of("runuser", "-u", "postgres", "--"));
      }
      full.addAll(List.of(command));
      run(full);
    }
  }

  /** A throw-away Redis that keeps nothing on disk. */
  static final class Redis implements AutoCloseable {
    private final int port;
    private Process process;

    Redis() throws IOException, InterruptedException {
      this.port = TestPorts.free();
      start();
    }

    String url() {
      return "redis://127.0.0.1:" + port;
    }

    void start() throws IOException, InterruptedException {
      process =
          new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                  "--appendonly", "no")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      for (int i = 0; i < 100; i++) {
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
          return;
        } catch (IOException notYet) {
          Thread.sleep(100); // waiting for a child process to listen, bounded to 10 s
        }
      }
      throw new IOException("redis-server did not listen on port " + port);
    }

    /** SIGSTOP: connections stay open and nothing comes back on them, as from a Redis that hangs. */
    void freeze() throws IOException, InterruptedException {
      run(List.of("kill", "-STOP", Long.toString(process.pid())));
    }

    /** SIGCONT after {@link #freeze}. */
    void thaw() throws IOException, InterruptedException {
      run(List.of("kill", "-CONT", Long.toString(process.pid())));
    }

    /** SIGKILL: every connection and subscription is gone at once. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
      if (process != null && process.isAlive()) {
        kill();
      }
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output.strip());
    }
  }


  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }
}
