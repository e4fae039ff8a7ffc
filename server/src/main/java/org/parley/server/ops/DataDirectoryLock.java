package org.parley.server.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One server per data directory: a second one on the same SQLite file would fight the first for its
 * writes, and a restore must not swap the file under a running server. The operating system drops
 * the lock when the process dies, however it dies.
 */
public final class DataDirectoryLock implements AutoCloseable {
  public static final String NAME = "server.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock, or says that a server already runs on the directory. */
  public static DataDirectoryLock acquire(Path dataDirectory) {
    return tryAcquire(dataDirectory)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "another parley server is running on " + dataDirectory.toAbsolutePath()
                        + "; stop it first or give another --data"));
  }

  /** Takes the lock if no server holds it. */
  public static java.util.Optional<DataDirectoryLock> tryAcquire(Path dataDirectory) {
    try {
      Files.createDirectories(dataDirectory);
      FileChannel channel =
          FileChannel.open(dataDirectory.resolve(NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(new DataDirectoryLock(channel, lock));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock the data directory " + dataDirectory + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // closing the channel releases the lock in any case
    }
  }
}
