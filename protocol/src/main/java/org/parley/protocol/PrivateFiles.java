package org.parley.protocol;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Directories and files only their owner may read (0700 and 0600): a device profile holds private
 * keys and messages, the server's data directory its accounts and queues. On a file system without
 * POSIX permissions nothing is changed.
 */
public final class PrivateFiles {
  private PrivateFiles() {}

  /** Creates the directory (and its parents) if needed, and makes it 0700. */
  public static Path directory(Path directory) throws IOException {
    Files.createDirectories(directory);
    if (posix(directory)) {
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
    }
    return directory;
  }

  /**
   * Creates the file empty if it does not exist, and makes it 0600. SQLite gives its journal and WAL
   * files the permissions of the database file, so this covers them too.
   */
  public static Path file(Path file) throws IOException {
    try {
      Files.createFile(file);
    } catch (FileAlreadyExistsException e) {
      // kept as it is; only its mode changes
    }
    if (posix(file)) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
    return file;
  }

  private static boolean posix(Path path) {
    return Files.getFileAttributeView(path, PosixFileAttributeView.class) != null;
  }
}
