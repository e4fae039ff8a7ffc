package org.parley.bench.server;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/** The relay under test: where it listens, its verification codes, and what it costs the machine. */
public interface ServerHandle extends AutoCloseable {
  /** ws://HOST:PORT */
  String url();

  /** The next verification code the server sends to {@code phone}. */
  CompletableFuture<String> code(String phone);

  /** The server process's CPU and memory, when its pid is known. */
  ProcessStats stats();

  /** Heap in use after a full collection, in bytes, when the server takes commands. */
  default OptionalLong heapAfterGc() {
    return OptionalLong.empty();
  }

  /** Direct (off-heap buffer) memory in use, in bytes, as last reported with the heap. */
  default OptionalLong directMemory() {
    return OptionalLong.empty();
  }

  @Override
  void close();
}
