package org.parley.bench.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A relay someone else started ({@code parley server > server.out}). Verification codes are read
 * by following the file its stdout goes to; CPU and memory are read from /proc when its pid is
 * given.
 */
public final class ExternalServer implements ServerHandle {
  private final String url;
  private final CodeBook codes = new CodeBook();
  private final ProcessStats stats;
  private volatile boolean closed;

  public ExternalServer(String url, Path codesFile, long pid) {
    this.url = url;
    this.stats = new ProcessStats(pid);
    if (codesFile != null) {
      Thread.ofPlatform().daemon().name("codes-tail").start(() -> follow(codesFile));
    }
  }

  private void follow(Path file) {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      while (!closed) {
        String line = in.readLine();
        if (line == null) {
          Thread.sleep(20);
        } else {
          codes.offer(line);
        }
      }
    } catch (IOException e) {
      System.err.println("cannot read verification codes from " + file + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String url() {
    return url;
  }

  @Override
  public CompletableFuture<String> code(String phone) {
    return codes.code(phone);
  }

  @Override
  public ProcessStats stats() {
    return stats;
  }

  @Override
  public void close() {
    closed = true;
  }
}
