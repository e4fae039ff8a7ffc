package org.parley.server.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether this node should be sent traffic: every dependency answered its check in time (the store
 * took a commit; in a cluster, Redis answered) and the node is not draining.
 *
 * <p>A check that hangs (a locked database, an unreachable host) must not pile up probes: each check
 * has at most one run in flight, and a readiness request arriving meanwhile waits for that run.
 */
public final class Readiness {
  /** A dependency's check: returns when the dependency works, throws when it does not. May block. */
  @FunctionalInterface
  public interface Check {
    void run() throws Exception;
  }

  /** One dependency's answer: {@code problem} is null when it is fine. */
  public record Result(String name, String problem) {}

  /** The node's answer, with each dependency's. */
  public record Report(boolean ready, List<Result> results) {}

  private final Map<String, Check> checks = new LinkedHashMap<>();
  private final Map<String, CompletableFuture<Result>> running = new LinkedHashMap<>();
  private final Executor blocking;
  private final Duration timeout;
  private volatile String draining;

  public Readiness(Executor blocking, Duration timeout) {
    this.blocking = blocking;
    this.timeout = timeout;
  }

  public synchronized Readiness register(String name, Check check) {
    if (checks.putIfAbsent(name, check) != null) {
      throw new IllegalStateException("two readiness checks named " + name);
    }
    return this;
  }

  /** From now on the node reports itself not ready, whatever its dependencies say. */
  public void draining(String why) {
    this.draining = why;
  }

  public boolean isDraining() {
    return draining != null;
  }

  /** Runs every check (or joins its run in flight); completes within the timeout. */
  public CompletableFuture<Report> check() {
    List<CompletableFuture<Result>> results = new ArrayList<>();
    synchronized (this) {
      for (var entry : checks.entrySet()) {
        String name = entry.getKey();
        CompletableFuture<Result> run = running.get(name);
        if (run == null) {
          CompletableFuture<Result> started = start(name, entry.getValue());
          running.put(name, started);
          started.whenComplete((r, e) -> forget(name, started));
          run = started;
        }
        // A run still hanging from an earlier request is shared, not repeated; each request waits
        // for it only as long as the timeout.
        results.add(
            run.copy()
                .completeOnTimeout(
                    new Result(name, "no answer within " + timeout.toMillis() + " ms"),
                    timeout.toMillis(),
                    TimeUnit.MILLISECONDS));
      }
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              List<Result> all = new ArrayList<>();
              String why = draining;
              if (why != null) {
                all.add(new Result("drain", why));
              }
              results.forEach(r -> all.add(r.join()));
              return new Report(all.stream().allMatch(r -> r.problem() == null), all);
            });
  }

  private CompletableFuture<Result> start(String name, Check check) {
    CompletableFuture<Result> run =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                check.run();
                return new Result(name, null);
              } catch (Exception e) {
                return new Result(name, describe(e));
              }
            },
            blocking);
    return run;
  }

  private synchronized void forget(String name, CompletableFuture<Result> run) {
    running.remove(name, run);
  }

  private static String describe(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof TimeoutException) {
      return "timed out";
    }
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
  }
}
