package org.parley.client.attachments;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.parley.client.ClientException;
import org.parley.client.store.AttachmentStore;
import org.parley.protocol.DurableFiles;
import org.parley.protocol.PrivateFiles;

/**
 * The copy a sending device keeps of a file it sends, placed the way a fetched attachment is
 * ({@link AttachmentFetcher}): copied into the profile's {@code incoming/} and fsynced while the
 * upload runs (on a thread of its own, so it adds nothing to the send's time when the upload takes
 * longer), then named in the message's attachment rows while they are still pending, renamed into
 * {@code attachments/} with the directory fsynced ({@link #place}), and only then recorded fetched.
 * A crash leaves a copy in {@code incoming/} no row names (swept with old downloads), or a pending
 * row that names its file in {@code incoming/} or {@code attachments/}, which the next fetch takes.
 */
public final class OwnCopy {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Disk kept free beyond the copy (as a download keeps). */
  private static final long DISK_MARGIN = 64L * 1024 * 1024;
  /** Bytes copied between two looks at whether the send was given up. */
  private static final long STEP = 8L * 1024 * 1024;

  private final Path file;
  private final long size;
  private final Path copy;
  private final FutureTask<Void> copying;
  private volatile boolean cancelled;
  private Thread thread;

  private OwnCopy(Path file, long size, Path copy) {
    this.file = file;
    this.size = size;
    this.copy = copy;
    this.copying = new FutureTask<>(this::copy);
  }

  /**
   * Starts copying {@code file} into the profile's {@code incoming/} under a name made up here. Refused
   * at once, before anything is opened or copied, unless it is a regular file (a FIFO would block, a
   * device never end) that fits on the profile's disk.
   */
  public static OwnCopy start(Path file, AttachmentStore store, Clock clock) {
    java.nio.file.attribute.BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
    } catch (IOException e) {
      throw new ClientException("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      if (!attributes.isRegularFile()) {
        throw new ClientException("cannot send " + file + " as an attachment: it is not a regular file");
      }
      long size = attributes.size();
      PrivateFiles.directory(store.root());
      PrivateFiles.directory(store.incoming());
      if (Files.getFileStore(store.incoming()).getUsableSpace() < size + DISK_MARGIN) {
        throw new ClientException(
            "cannot send " + file + ": the profile's disk has no room for the copy this device keeps of it ("
                + (size + DISK_MARGIN) + " bytes are needed); free some and send it again");
      }
      String type;
      try (InputStream head = Files.newInputStream(file)) {
        type = ContentTypes.sniff(head.readNBytes(64));
      }
      byte[] random = new byte[6];
      RANDOM.nextBytes(random);
      String name = "sent-" + STAMP.format(clock.instant()) + "-" + HexFormat.of().formatHex(random) + ContentTypes.extension(type);
      OwnCopy own = new OwnCopy(file, size, store.incoming().resolve(name));
      own.thread = Thread.ofVirtual().name("parley-own-copy").start(own.copying);
      return own;
    } catch (IOException e) {
      throw failed(file, e);
    }
  }

  /** The size found at the start, no more (a file that grows meanwhile is not followed), in steps a discard can stop between. */
  private Void copy() throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
        FileChannel out =
            FileChannel.open(copy, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      PrivateFiles.file(copy);
      for (long position = 0; position < size; ) {
        if (cancelled) {
          return null;
        }
        long moved = in.transferTo(position, Math.min(STEP, size - position), out);
        if (moved <= 0) {
          throw new IOException(file + " became shorter while it was sent");
        }
        position += moved;
      }
      // On disk before a row names it: a crash after that row finds whole bytes under the name.
      out.force(true);
    }
    return null;
  }

  /** Waits for the copy; returns its name (the same in {@code incoming/} now and in {@code attachments/} once placed). */
  public String await() {
    try {
      copying.get();
      return copy.getFileName().toString();
    } catch (ExecutionException e) {
      discard();
      throw failed(file, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      discard();
      throw new ClientException("interrupted while keeping a copy of " + file + " in the profile", e);
    }
  }

  /** The send did not happen: the copy stops (within a step) and goes, once nothing writes it any more. */
  public void discard() {
    cancelled = true;
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(copy);
    } catch (IOException e) {
      // swept with old downloads
    }
  }

  /**
   * Moves copies (fsynced, and named by their rows) from {@code incoming/} into {@code attachments/},
   * then fsyncs that directory once for all of them.
   */
  public static void place(AttachmentStore store, Collection<String> names) throws IOException {
    for (String name : names) {
      Files.move(store.incoming().resolve(name), store.root().resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
    DurableFiles.syncDirectory(store.root());
  }

  private static ClientException failed(Path file, Throwable cause) {
    return new ClientException("cannot keep a copy of " + file + " in the profile: " + cause.getMessage(), cause);
  }
}
