package org.parley.server.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitWriterTest {
  @TempDir Path dir;
  private GroupCommitWriter writer;
  private Connection reader;

  @BeforeEach
  void open() throws SQLException {
    String url = "jdbc:sqlite:" + dir.resolve("writer.db");
    Connection connection = DriverManager.getConnection(url);
    try (Statement statement = connection.createStatement()) {
      statement.execute("PRAGMA journal_mode=WAL");
      statement.execute("CREATE TABLE rows (name TEXT PRIMARY KEY)");
    }
    writer = new GroupCommitWriter(connection, new StatementCache(connection), "test-writer", 0);
    reader = DriverManager.getConnection(url);
  }

  @AfterEach
  void close() throws SQLException {
    writer.close();
    reader.close();
  }

  @Test
  void oneFailingTaskDoesNotUndoTheOthersInItsBatch() throws Exception {
    Gate gate = holdTheWriter();
    CompletableFuture<Integer> first = writer.submit(c -> insert(c, "first"));
    CompletableFuture<Integer> failing = writer.submit(c -> {
      insert(c, "half-done");
      throw new SQLException("second statement of the task failed");
    });
    CompletableFuture<Integer> duplicate = writer.submit(c -> insert(c, "first"));
    CompletableFuture<Integer> last = writer.submit(c -> insert(c, "last"));
    gate.release();

    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(last.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThatThrownBy(failing::join).hasRootCauseMessage("second statement of the task failed");
    assertThatThrownBy(duplicate::join).hasRootCauseInstanceOf(SQLException.class);
    assertThat(committedRows()).containsExactlyInAnyOrder("first", "last");
  }

  @Test
  void workWithoutASavepointKeepsWhatItDidBeforeFailingAndTheOthersKeepTheirs() throws Exception {
    Gate gate = holdTheWriter();
    CompletableFuture<Integer> first = writer.submit(c -> insert(c, "first"));
    CompletableFuture<Integer> partial = writer.submit(c -> {
      insert(c, "done-before-failing");
      throw new SQLException("failed after its first statement");
    }, false);
    CompletableFuture<Integer> last = writer.submit(c -> insert(c, "last"));
    gate.release();

    assertThat(last.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(first.join()).isEqualTo(1);
    assertThatThrownBy(partial::join).hasRootCauseMessage("failed after its first statement");
    assertThat(committedRows()).containsExactlyInAnyOrder("first", "done-before-failing", "last");
  }

  @Test
  void aFailingTaskAloneInItsBatchLeavesNothingBehind() throws Exception {
    // Alone in its batch a task runs without a savepoint: the batch is rolled back instead.
    CompletableFuture<Integer> failing = writer.submit(c -> {
      insert(c, "half-done");
      throw new SQLException("failed after its first statement");
    });
    assertThatThrownBy(failing::join).hasRootCauseMessage("failed after its first statement");

    assertThat(writer.submit(c -> insert(c, "next")).get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(committedRows()).containsExactly("next");
  }

  @Test
  void aFutureCompletesOnlyAfterTheCommitOfItsWholeBatch() throws Exception {
    Gate gate = holdTheWriter();
    CompletableFuture<Integer> early = writer.submit(c -> insert(c, "early"));
    List<String> seenByTheLateTask = new ArrayList<>();
    CompletableFuture<Integer> late = writer.submit(c -> {
      // Still inside the batch: the early task's work is done but not yet committed.
      seenByTheLateTask.add("early future done: " + early.isDone());
      seenByTheLateTask.add("committed: " + committedRows());
      return insert(c, "late");
    });
    gate.release();

    late.get(10, TimeUnit.SECONDS);
    assertThat(seenByTheLateTask).containsExactly("early future done: false", "committed: []");
    assertThat(early).isDone();
    assertThat(committedRows()).containsExactlyInAnyOrder("early", "late");
  }

  @Test
  void aCompletedWriteIsVisibleToOtherConnections() throws Exception {
    List<String> seenOnCompletion = new ArrayList<>();

    writer.submit(c -> insert(c, "visible")).thenRun(() -> seenOnCompletion.addAll(committedRows()))
        .get(10, TimeUnit.SECONDS);

    assertThat(seenOnCompletion).containsExactly("visible");
  }

  @Test
  void aSlowActionChainedOnACommitDoesNotHoldTheWriter() throws Exception {
    CountDownLatch slow = new CountDownLatch(1);
    Gate gate = holdTheWriter(); // so the action is chained before the commit completes the future
    CompletableFuture<Void> chained = writer.submit(c -> insert(c, "first")).thenRun(() -> {
      try {
        slow.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    gate.release();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> committedRows().contains("first"));
    CompletableFuture<Integer> next = writer.submit(c -> insert(c, "next"));

    // The next write is committed while the first one's action still runs.
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> committedRows().contains("next"));
    assertThat(chained).isNotDone();
    slow.countDown();
    assertThat(next.get(10, TimeUnit.SECONDS)).isEqualTo(1);
  }

  @Test
  void workSubmittedAfterCloseIsRefused() {
    writer.close();

    assertThatThrownBy(() -> writer.submit(c -> insert(c, "too late")).join())
        .hasRootCauseInstanceOf(IllegalStateException.class);
  }

  /** A task that keeps the writer busy, so everything submitted meanwhile lands in one batch. */
  @Test
  void aFullBatchWaitingBehindAHeldTaskEndsTheHold() throws Exception {
    try (GroupCommitWriter holding = longHoldWriter()) {
      CompletableFuture<Integer> held = holding.submitHeld(c -> insert(c, "held"), new AlwaysWaiting());
      List<CompletableFuture<Integer>> behind = new ArrayList<>();
      for (int i = 0; i < 512; i++) {
        String name = "behind-" + i;
        behind.add(holding.submit(c -> insert(c, name)));
      }

      assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(1);
      for (CompletableFuture<Integer> each : behind) {
        assertThat(each.get(10, TimeUnit.SECONDS)).isEqualTo(1);
      }
    }
    assertThat(committedRows()).hasSize(513).contains("held");
  }

  @Test
  void closingRunsWhatTheWriterHolds() throws Exception {
    GroupCommitWriter holding = longHoldWriter();
    CompletableFuture<Integer> first = holding.submitHeld(c -> insert(c, "first"), new AlwaysWaiting());
    CompletableFuture<Integer> second = holding.submitHeld(c -> insert(c, "second"), new AlwaysWaiting());
    await().atMost(Duration.ofSeconds(5)).during(Duration.ofMillis(200)).until(() -> !first.isDone());

    CompletableFuture.runAsync(holding::close).get(5, TimeUnit.SECONDS); // not the join's 10 s timeout

    assertThat(first.join()).isEqualTo(1);
    assertThat(second.join()).isEqualTo(1);
    assertThat(committedRows()).containsExactlyInAnyOrder("first", "second");
  }

  /** A second writer on the same file whose holds last five minutes (the test's writer stays idle). */
  private GroupCommitWriter longHoldWriter() throws SQLException {
    Connection connection = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("writer.db"));
    return new GroupCommitWriter(connection, new StatementCache(connection), "holding-writer", TimeUnit.MINUTES.toNanos(5));
  }

  /** Work that would always rather wait (acks that never come). */
  private static final class AlwaysWaiting implements GroupCommitWriter.Hold<Integer> {
    @Override
    public boolean worthWaiting() {
      return true;
    }

    @Override
    public boolean writesNothing() {
      return false;
    }

    @Override
    public Integer nothingWritten() {
      return 0;
    }
  }

  private Gate holdTheWriter() throws InterruptedException {
    Gate gate = new Gate();
    writer.submit(c -> {
      gate.running.countDown();
      try {
        gate.open.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return null;
    });
    assertThat(gate.running.await(10, TimeUnit.SECONDS)).isTrue();
    return gate;
  }

  private static final class Gate {
    final CountDownLatch running = new CountDownLatch(1);
    final CountDownLatch open = new CountDownLatch(1);

    void release() {
      open.countDown();
    }
  }

  private static int insert(Connection c, String name) throws SQLException {
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO rows (name) VALUES (?)")) {
      insert.setString(1, name);
      return insert.executeUpdate();
    }
  }

  private List<String> committedRows() {
    try (Statement select = reader.createStatement(); ResultSet rs = select.executeQuery("SELECT name FROM rows")) {
      List<String> names = new ArrayList<>();
      while (rs.next()) {
        names.add(rs.getString(1));
      }
      return names;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
