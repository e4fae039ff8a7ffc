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

  private final Path file;
  private final Path copy;
  private final FutureTask<Void> copying;
  private Thread thread;

  private OwnCopy(Path file, Path copy) {
    this.file = file;
    this.copy = copy;
    this.copying = new FutureTask<>(this::copy);
  }

  /** Starts copying {@code file} into the profile's {@code incoming/} under a name made up here. */
  public static OwnCopy start(Path file, AttachmentStore store, Clock clock) {
    try {
      PrivateFiles.directory(store.root());
      PrivateFiles.directory(store.incoming());
      String type;
      try (InputStream head = Files.newInputStream(file)) {
        type = ContentTypes.sniff(head.readNBytes(64));
      }
      byte[] random = new byte[6];
      RANDOM.nextBytes(random);
      String name = "sent-" + STAMP.format(clock.instant()) + "-" + HexFormat.of().formatHex(random) + ContentTypes.extension(type);
      OwnCopy own = new OwnCopy(file, store.incoming().resolve(name));
      own.thread = Thread.ofVirtual().name("parley-own-copy").start(own.copying);
      return own;
    } catch (IOException e) {
      throw failed(file, e);
    }
  }

  private Void copy() throws IOException {
    Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
    PrivateFiles.file(copy);
    // On disk before a row names it: a crash after that row finds whole bytes under the name.
    try (FileChannel channel = FileChannel.open(copy, StandardOpenOption.WRITE)) {
      channel.force(true);
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

  /** The send did not happen: the copy goes (once the copying ended, so nothing writes it again). */
  public void discard() {
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
