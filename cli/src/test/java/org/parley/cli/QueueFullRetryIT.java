package org.parley.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.Limits;
import org.parley.server.testing.TestServer;

/**
 * Issue 11: every refusal says when to try again, also one that others must free. A device's full
 * queue empties only when that device comes online, which the server cannot foresee: it still
 * answers a wait (a guess), and the CLI prints it as the time to try again.
 */
class QueueFullRetryIT {
  private static final String ALICE = "+15550001401";
  private static final String BOB = "+15550001402";

  @TempDir Path dir;

  @Test
  void aFullQueueIsRefusedWithWhenToTryAgainAndTheCliPrintsIt() {
    Limits small = Limits.defaults().toBuilder().maxQueueLength(2).build();
    try (TestServer server = TestServer.start(dir.resolve("server"), Clock.systemUTC(), b -> b.limits(small))) {
      Cli cli = new Cli(dir.resolve("profiles"));
      cli.registerAs(server, "alice", ALICE);
      cli.registerAs(server, "bob", BOB);
      cli.ok("alice", "send", "--to", BOB, "one");
      cli.ok("alice", "send", "--to", BOB, "two");

      Cli.Run refused = cli.parley("alice", "send", "--to", BOB, "three");
      assertThat(refused.code()).as(refused.err()).isEqualTo(1);
      assertThat(refused.err())
          .contains("messages waiting; it must come online first")
          .contains("try again in 15 min")
          .containsPattern("\\(try again after \\d\\d:\\d\\d:\\d\\d\\)");

      // Bob comes online and takes his queue: Alice gets through again.
      assertThat(cli.ok("bob", "receive", "--timeout", "5s").out()).contains("one").contains("two");
      cli.ok("alice", "send", "--to", BOB, "three");
    }
  }
}
