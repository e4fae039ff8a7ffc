package org.parley.client;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.parley.client.attachments.AttachmentFetcher;
import org.parley.client.attachments.AttachmentUploader;
import org.parley.client.attachments.AttachmentUploader.Outgoing;
import org.parley.client.attachments.OwnCopy;
import org.parley.client.events.AttachmentEvent;
import org.parley.client.events.AttachmentView;
import org.parley.client.events.ClientEvent;
import org.parley.client.history.BlobTransfer;
import org.parley.client.store.AttachmentStore;
import org.parley.client.store.AttachmentStore.Held;
import org.parley.protocol.wire.AttachmentPointer;

/**
 * A device's attachments (docs/PROTOCOL.md §14): files uploaded before the message that points to them is
 * sent, and fetched (verified before any plaintext is written) after it arrived.
 *
 * <p>Uploads happen before the message enters the outbox, not from it: the server lets a message
 * point only to blobs uploaded whole, and the outbox keeps messages whole, ready to go as they are.
 * So a message with attachments is written once every file is on the server; if the server cannot
 * be reached half way, the send fails, and the same send run again continues each upload from the
 * server's offset (the profile keeps the slots). Once the pointers are in the message, the outbox
 * keeps and retries it as any other.
 */
final class Attachments {
  /** Files one message may carry: the server lets a message point to no more. */
  static final int MAX_FILES = AttachmentStore.MAX_PER_MESSAGE;
  /** How many pending attachments one round of automatic fetching takes on. */
  private static final int FETCH_BATCH = 32;

  private final DeviceContext device;
  private final Online online;
  private volatile long stopUploadAfter = Long.MAX_VALUE;
  private volatile long oneRequestUpTo = AttachmentUploader.ONE_REQUEST_BYTES;
  /**
   * The HTTP client of this device's blob transfers, made on first use and kept while the device is
   * open: its connection pool and threads are not set up again for every file. Made again if the
   * device's registration changed (guarded by {@code this}).
   */
  private BlobTransfer transfer;
  private String transferFor;
  /** Set by {@link #close}: no transfer is made after it (one would never be closed). */
  private boolean closed;
  private volatile LongConsumer downloadProgress = held -> {};
  private volatile Runnable afterRename = () -> {};
  private volatile Runnable beforeCopyOutPlaced = () -> {};
  /** Whether this device swept {@code incoming/} since it was opened (once is enough: see {@link #fetcher}). */
  private final java.util.concurrent.atomic.AtomicBoolean swept = new java.util.concurrent.atomic.AtomicBoolean();
  /**
   * The blobs being fetched now: one fetch of a blob at a time (the daemon's receive loop and an
   * 'attachment get' must not write the same partial download at once), while fetches of other
   * blobs go on beside it (a page's picture does not wait for a large file).
   */
  private final java.util.Set<String> fetching = new java.util.HashSet<>();
  /**
   * The automatic fetches of a device that receives without end (the daemon), off its receive
   * thread, so a large download never holds up the messages and acks behind it: one round at a time,
   * and at most one more waiting (a round takes every attachment pending when it starts, so a third
   * would find nothing the waiting one will not). Its thread goes when idle.
   */
  private final ThreadPoolExecutor background =
      new ThreadPoolExecutor(
          1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1),
          Thread.ofPlatform().name("parley-attachments").daemon().factory(), new ThreadPoolExecutor.DiscardPolicy());

  Attachments(DeviceContext device, Online online) {
    this.device = device;
    this.online = online;
    background.allowCoreThreadTimeOut(true);
  }

  /**
   * Sweeps what downloads left in {@code incoming/} long ago, the first time this device fetches
   * (or looks for attachments to fetch) since it was opened: not when it opens, so that opening a
   * profile (every CLI command, every device of a daemon) costs no walk of the directory.
   */
  private void sweepOnce() {
    if (swept.compareAndSet(false, true)) {
      AttachmentFetcher.sweep(device.attachments, device.clock);
    }
  }

  private AttachmentFetcher fetcher() {
    return new AttachmentFetcher(transfer(), device.attachments, device.clock, downloadProgress, afterRename);
  }

  /** Waits until no one else fetches this blob, then marks it as fetched by this thread ({@link #release} after). */
  private void claim(String blobId) {
    synchronized (fetching) {
      while (fetching.contains(blobId)) {
        try {
          fetching.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ClientException("interrupted while another fetch of attachment " + blobId + " ran", e);
        }
      }
      fetching.add(blobId);
    }
  }

  private void release(String blobId) {
    synchronized (fetching) {
      fetching.remove(blobId);
      fetching.notifyAll();
    }
  }

  /** Runs a round of automatic fetching on the background thread (dropped if one is waiting already). */
  void inBackground(Runnable round) {
    background.execute(round);
  }

  /** Stops the background fetches (one under way is interrupted; it stays pending and resumes later). */
  void close() {
    background.shutdownNow();
    try {
      background.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    BlobTransfer last;
    synchronized (this) {
      closed = true;
      last = transfer;
      transfer = null;
    }
    if (last != null) {
      last.close();
    }
  }

  /** This device's blob transfers, as it is registered now. */
  private BlobTransfer transfer() {
    var local = device.local;
    String registration =
        local.serverUrl() + " " + local.account() + "." + local.deviceId() + " "
            + java.util.HexFormat.of().formatHex(local.credential() == null ? new byte[0] : local.credential());
    BlobTransfer replaced;
    BlobTransfer current;
    synchronized (this) {
      if (closed) {
        throw new ClientException("this profile is closing; run the command again");
      }
      if (transfer != null && registration.equals(transferFor)) {
        return transfer;
      }
      replaced = transfer;
      transfer = BlobTransfer.forDevice(local, device.ssl);
      transferFor = registration;
      current = transfer;
    }
    // Outside the lock: the old registration's transfers are cut off, and nobody waits on them.
    if (replaced != null) {
      replaced.close();
    }
    return current;
  }

  /** For tests: uploads die after this many bytes, as if the process had been killed. */
  void stopUploadsAfter(long bytes) {
    this.stopUploadAfter = bytes;
  }

  /** For tests: blobs up to this size go in one request (by default {@link AttachmentUploader#ONE_REQUEST_BYTES}). */
  void oneRequestUpTo(long bytes) {
    this.oneRequestUpTo = bytes;
  }

  /** For tests: runs between a verified (or own) file's rename into attachments/ and its row's update. */
  void afterRename(Runnable hook) {
    this.afterRename = hook;
  }

  /** For tests: runs once an 'attachment get --out' copy is on disk beside its target, before it takes the name. */
  void beforeCopyOutPlaced(Runnable hook) {
    this.beforeCopyOutPlaced = hook;
  }

  /** For tests: hears the bytes of each download held so far (and may stop it by throwing). */
  void downloadProgress(LongConsumer progress) {
    this.downloadProgress = progress;
  }

  /** A file uploaded for a message, and this device's own copy of it. */
  record Prepared(AttachmentPointer pointer, String ownCopy, long resumedFrom) {}

  /**
   * Uploads the files (each encrypted with a fresh key) and keeps a copy of each in the profile, as
   * a receiving device would. Throws if any upload fails; what was uploaded stays resumable.
   */
  List<Prepared> upload(List<Outgoing> files) {
    if (files.size() > MAX_FILES) {
      throw new IllegalArgumentException("a message carries at most " + MAX_FILES + " attachments");
    }
    device.requireLinked();
    List<Prepared> prepared = new ArrayList<>();
    List<OwnCopy> copies = new ArrayList<>();
    AttachmentUploader uploader =
        new AttachmentUploader(
            () -> online.connection(false), transfer(), device.profile, device.clock, stopUploadAfter, oneRequestUpTo);
    try {
      for (Outgoing file : files) {
        // The own copy is made while the file uploads: it costs the send no time of its own.
        OwnCopy copy = OwnCopy.start(file.file(), device.attachments, device.clock);
        copies.add(copy);
        AttachmentUploader.Uploaded uploaded = uploader.upload(file);
        prepared.add(new Prepared(uploaded.pointer(), copy.await(), uploaded.resumedFrom()));
      }
    } catch (RuntimeException e) {
      copies.forEach(OwnCopy::discard);
      throw e;
    }
    return prepared;
  }

  /**
   * Records the sender's own copies for the message that carries them, before it is sent or kept,
   * so that its {@code sent} event and the history show them.
   */
  void recordOwn(UUID author, String messageId, List<Prepared> prepared) {
    if (prepared.isEmpty()) {
      return;
    }
    java.util.Map<String, String> copies = new java.util.LinkedHashMap<>();
    prepared.forEach(p -> copies.put(p.pointer().getBlobId(), p.ownCopy()));
    // A fetch (the daemon's receive loop) waits while the rows are pending, rather than fetch them.
    copies.keySet().forEach(this::claim);
    try {
      // As a fetched attachment is placed (OwnCopy): named while pending, renamed for good, then fetched.
      device.attachments.insertOwn(author, messageId, prepared.stream().map(Prepared::pointer).toList(), copies);
      OwnCopy.place(device.attachments, copies.values());
      afterRename.run();
      device.attachments.ownPlaced(author, messageId);
    } catch (IOException e) {
      throw new ClientException("cannot keep the copies of the files sent in the profile: " + e.getMessage(), e);
    } finally {
      copies.keySet().forEach(this::release);
    }
  }

  /** The message carrying these uploads was sent or kept in the outbox: their upload slots are done. */
  void carried(List<Prepared> prepared) {
    if (prepared.isEmpty()) {
      return;
    }
    prepared.forEach(p -> AttachmentUploader.carried(device.profile, device.clock, p.pointer()));
  }

  /** The attachments of a message, as events show them. */
  List<AttachmentView> views(UUID author, String messageId) {
    return device.attachments.views(author, messageId);
  }

  /**
   * Fetches what arrived and waits (status pending), reporting each as an {@code attachment} event
   * (logged, then shown to the listener). A failure is reported the same way and does not stop the
   * others. Returns how many were fetched.
   */
  int fetchPending(Consumer<ClientEvent> listener) {
    // Batch after batch while full ones come back, so that more than a batch waiting all get fetched;
    // a batch in which nothing settled (every one broke off) ends the round: the next one tries again.
    sweepOnce();
    int fetched = 0;
    while (true) {
      List<Held> pending = device.attachments.pending(FETCH_BATCH);
      if (pending.isEmpty()) {
        return fetched;
      }
      int[] settled = {0};
      fetched += fetchBatch(pending, listener, settled);
      if (pending.size() < FETCH_BATCH || settled[0] == 0) {
        return fetched;
      }
    }
  }

  /**
   * Fetches each attachment with its blob {@linkplain #claim claimed} (an {@code attachment get} of the
   * same blob waits for it, of another does not), and skips one fetched meanwhile.
   */
  private int fetchBatch(List<Held> pending, Consumer<ClientEvent> listener, int[] settled) {
    int fetched = 0;
    AttachmentFetcher fetcher = fetcher();
    for (Held candidate : pending) {
      AttachmentEvent event;
      Held held;
      claim(candidate.blobId());
      try {
        held = device.attachments.of(candidate.author(), candidate.messageId()).stream()
            .filter(h -> h.position() == candidate.position() && AttachmentStore.PENDING.equals(h.status()))
            .findFirst().orElse(null);
        if (held == null) {
          settled[0]++;
          continue;
        }
        event = fetchOne(fetcher, held);
      } finally {
        release(candidate.blobId());
      }
      if (!AttachmentStore.PENDING.equals(event.status())) {
        settled[0]++;
      }
      if (AttachmentStore.FETCHED.equals(event.status())) {
        fetched++;
      }
      device.events.append(event);
      listener.accept(event);
      if (AttachmentStore.FETCHED.equals(event.status())) {
        // After the event: the server's bookkeeping is no reason to keep the user waiting.
        fetcher.confirm(held);
      }
    }
    return fetched;
  }

  /** One automatic fetch, as the event that reports it. */
  private AttachmentEvent fetchOne(AttachmentFetcher fetcher, Held held) {
    if (!device.attachments.attempt(held)) {
      return event(held, null, AttachmentStore.FAILED, "not fetched after " + AttachmentStore.MAX_ATTEMPTS
          + " tries; 'parley attachment get " + held.blobId() + "' tries again");
    }
    try {
      Path path = fetcher.fetch(held).path();
      return event(held, path.toAbsolutePath().toString(), AttachmentStore.FETCHED, null);
    } catch (ClientException e) {
      if (!"ATTACHMENT_REFUSED".equals(e.code()) && !"ATTACHMENT_UNAVAILABLE".equals(e.code())) {
        // Broke off: it stays pending and is taken up again next time (a bounded number of times).
        return event(held, null, AttachmentStore.PENDING, e.getMessage());
      }
      // AttachmentFetcher.fetch recorded it as failed already (it is the one net for what a pointer provokes).
      return event(held, null, AttachmentStore.FAILED, e.getMessage());
    }
  }

  /**
   * Fetches one attachment on demand (verified, stored in the profile) unless it is here already,
   * and copies it to {@code out} if given. Returns the attachment as it is now.
   */
  AttachmentView get(String id, Path out, boolean replace) {
    Held held =
        device.attachments.byId(id)
            .orElseThrow(() -> new ClientException(
                "NOT_FOUND",
                "no attachment " + id + " on this device; the ids are in 'parley receive --json' and 'parley history --json'",
                null));
    Path stored = stored(held);
    if (stored == null) {
      sweepOnce();
      claim(held.blobId());
      try {
        // Asked for twice at once (two tabs, or the receive loop's fetching): the first one fetched it.
        held = device.attachments.byId(id).orElse(held);
        stored = stored(held);
        if (stored == null) {
          AttachmentFetcher fetcher = fetcher();
          stored = fetcher.fetch(held).path();
          fetcher.confirm(held);
        }
      } finally {
        release(held.blobId());
      }
    }
    if (out != null) {
      copyOut(stored, out, replace);
    }
    return device.attachments.byId(id).map(device.attachments::view).orElseThrow();
  }

  /** The verified file of an attachment, or null when it is not (or no longer) on disk, or not recorded fetched yet. */
  private Path stored(Held held) {
    Path stored =
        held.path() == null || !AttachmentStore.FETCHED.equals(held.status()) ? null : device.attachments.root().resolve(held.path());
    return stored != null && Files.exists(stored) ? stored : null;
  }

  /**
   * Writes the verified file to {@code out}: copied to a temporary file beside it and fsynced, then
   * put in place in one step and the directory fsynced, so {@code out} never holds half a file and
   * is there after a power cut once this returns. Unless {@code replace}, a file of that name is
   * never replaced, not even one made meanwhile: the copy is hard-linked under the name, which fails
   * if it exists (a plain rename would replace it); with {@code replace} it is renamed over it.
   */
  private void copyOut(Path stored, Path out, boolean replace) {
    Path target = out.toAbsolutePath();
    if (!replace && Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      throw exists(out, null);
    }
    try {
      Path temporary = Files.createTempFile(target.getParent(), ".parley-", ".part");
      try {
        Files.copy(stored, temporary, StandardCopyOption.REPLACE_EXISTING);
        try (java.nio.channels.FileChannel channel =
            java.nio.channels.FileChannel.open(temporary, java.nio.file.StandardOpenOption.WRITE)) {
          channel.force(true);
        }
        beforeCopyOutPlaced.run();
        if (replace) {
          Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } else {
          link(temporary, target);
          // Before the directory's fsync: a power cut must not bring back a second name of the file.
          Files.deleteIfExists(temporary);
        }
        org.parley.protocol.DurableFiles.syncDirectory(target.getParent());
      } finally {
        Files.deleteIfExists(temporary);
      }
    } catch (FileAlreadyExistsException e) {
      throw exists(out, e);
    } catch (IOException e) {
      throw new ClientException("cannot write " + out + ": " + e.getMessage(), e);
    }
  }

  /** Gives {@code temporary} the name {@code target} only if no file has it (the temporary goes after). */
  private static void link(Path temporary, Path target) throws IOException {
    try {
      Files.createLink(target, temporary);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
      // No hard links on this file system: a move that checks first (a narrow race, but no half file).
      Files.move(temporary, target);
    }
  }

  private static ClientException exists(Path out, Exception cause) {
    return new ClientException(
        out + " exists already; name another file with --out, remove it first, or replace it with --force", cause);
  }

  private AttachmentEvent event(Held held, String path, String status, String error) {
    AttachmentPointer p = held.pointer();
    String from = held.author().equals(device.local.account()) ? device.local.phone() : device.contacts.phoneOf(held.author());
    return new AttachmentEvent(
        p.getBlobId(), held.messageId(), from, p.getContentType(), p.getSize(), p.getFileName(), path, status, error);
  }
}
