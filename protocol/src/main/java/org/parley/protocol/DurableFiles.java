package org.parley.protocol;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Renames that survive a power cut: a rename is a change to the directory, and it is only on disk
 * once the directory is fsynced. Whoever says "stored" (the server to an uploader, a device's
 * database to its user) after a rename must have the rename on disk first, not just the file's bytes.
 */
public final class DurableFiles {
  private DurableFiles() {}

  /**
   * Moves {@code from} (whose bytes the caller has fsynced) to {@code to} in one step where the file
   * system can, replacing nothing, then fsyncs the directory that holds {@code to}.
   */
  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
    syncDirectory(to.toAbsolutePath().getParent());
  }

  /** Fsyncs a directory, so that the names created, renamed or deleted in it are on disk (Linux, macOS). */
  public static void syncDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
