package org.parley.cli.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.parley.client.ClientException;

/**
 * The daemon's hold on a profile: an exclusive lock on {@code daemon.lock} in the profile directory
 * for as long as it runs, so a second daemon on the same profile is refused (a second receiver
 * would fight the first for the device's connection). The file also says where the daemon's
 * control socket is, for the commands that go through it. The operating system releases the lock
 * when the process dies, however it dies.
 */
final class ProfileLock implements AutoCloseable {
  static final String FILE_NAME = "daemon.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private ProfileLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static ProfileLock acquire(Path profile) {
    Path file = profile.resolve(FILE_NAME);
    FileChannel channel = null;
    try {
      Files.createDirectories(profile);
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        throw new ClientException(
            "DAEMON_RUNNING",
            "a daemon already holds the profile " + profile + "; stop it first (commands on this profile go through it)",
            null);
      }
      return new ProfileLock(channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ClientException("cannot lock " + file + ": " + e.getMessage(), e);
    }
  }

  /** Records where the control socket is (read by {@link DaemonClient}). */
  void advertise(Path socket) {
    try {
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((socket.toAbsolutePath() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(true);
    } catch (IOException e) {
      throw new ClientException("cannot write " + FILE_NAME + ": " + e.getMessage(), e);
    }
  }

  /** The control socket a running daemon advertised for this profile, or {@code null}. */
  static Path advertised(Path profile) {
    Path file = profile.resolve(FILE_NAME);
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? null : Path.of(text);
    } catch (IOException e) {
      return null;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  @Override
  public void close() {
    try {
      channel.truncate(0);
      lock.release();
    } catch (IOException ignored) {
      // the lock goes with the process anyway
    }
    closeQuietly(channel);
  }
}
