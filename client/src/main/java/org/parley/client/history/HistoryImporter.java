package org.parley.client.history;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.parley.client.ClientException;
import org.parley.client.events.WarningEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.store.EventLog;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.Contacts;
import org.parley.client.store.GroupStore;
import org.parley.protocol.history.BundleException;
import org.parley.protocol.history.BundleReader;
import org.parley.protocol.wire.HistoryHeader;
import org.parley.protocol.wire.HistoryRecord;
import org.parley.protocol.wire.HistorySync;

/**
 * Takes in the history bundles the primary announces (DESIGN.md §7): downloads each (continuing a
 * download that broke off), checks its size and SHA-256, decrypts it and imports it in one local
 * transaction, so a bundle that turns out altered, reordered or cut short leaves nothing behind.
 *
 * <p>Importing is idempotent and never moves anything backwards: a message already here (a retried
 * import, or one that arrived live during the sync) is not added again, and its status only ever
 * advances (sent → delivered → read, unread → read), so a newer live status survives an older
 * exported one.
 */
public final class HistoryImporter {
  /** The {@link ClientException#code()} of a bundle refused for good: the primary must export again. */
  public static final String CORRUPT = "HISTORY_CORRUPT";
  /** The code of a download that does not match its announcement: importing again fetches it anew. */
  public static final String DAMAGED_DOWNLOAD = "HISTORY_DOWNLOAD_DAMAGED";

  private final ProfileStore store;
  private final UUID account;
  private final int device;
  private final Path workDirectory;
  private final AnnouncedBundles bundles;
  private final EventLog log;

  /** @param workDirectory where downloads are kept until their bundle has been imported */
  public HistoryImporter(ProfileStore store, UUID account, int device, Clock clock, Path workDirectory) {
    this(store, account, device, clock, workDirectory, new EventLog(store, clock));
  }

  /** {@code log} gets each bundle's {@code imported} event in the bundle's own transaction. */
  public HistoryImporter(
      ProfileStore store, UUID account, int device, Clock clock, Path workDirectory, EventLog log) {
    this.log = log;
    this.store = store;
    this.account = account;
    this.device = device;
    this.workDirectory = workDirectory;
    this.bundles = new AnnouncedBundles(store, clock);
  }

  public enum Outcome {
    IMPORTED,
    /** Imported before: a redelivered announcement. */
    ALREADY_IMPORTED,
    /** The export is for another companion of the account. */
    NOT_FOR_THIS_DEVICE
  }

  /**
   * @param records records in the bundle
   * @param messagesAdded messages that were not here before
   * @param resumedAt the byte the download continued from (0 if it started afresh)
   */
  public record Result(Outcome outcome, long records, long messagesAdded, long contactsAdded, long resumedAt) {
    static Result skipped(Outcome outcome) {
      return new Result(outcome, 0, 0, 0, 0);
    }
  }

  /** Whether an announcement is addressed to this device (every own device receives it). */
  public boolean isForThisDevice(HistorySync announcement) {
    return announcement.getTargetDevice() == 0 || announcement.getTargetDevice() == device;
  }

  /**
   * Remembers an announcement for this device so that its import can be retried after a crash;
   * call it in the transaction that takes in the message carrying it. False if it was known
   * already or is for another device.
   */
  public boolean remember(HistorySync announcement) {
    return isForThisDevice(announcement) && bundles.remember(announcement);
  }

  /** Announcements remembered but neither imported nor refused yet, in part order: what to retry on start. */
  public List<HistorySync> pending() {
    return bundles.pending();
  }

  /**
   * Downloads, verifies and imports one announced bundle; progress goes to {@code progress}. A
   * download that breaks off, or arrives damaged, is taken up again by the next call; a bundle that
   * arrives intact but does not decrypt or does not add up is refused for good ({@code
   * HISTORY_CORRUPT}): the primary has to export again.
   */
  public Result importBundle(HistorySync announcement, BlobTransfer blobs, Consumer<HistorySyncEvent> progress) {
    if (!isForThisDevice(announcement)) {
      return Result.skipped(Outcome.NOT_FOR_THIS_DEVICE);
    }
    if (bundles.imported(announcement.getBlobId())) {
      return Result.skipped(Outcome.ALREADY_IMPORTED);
    }
    remember(announcement);
    HistoryPhase phase = HistoryPhase.begin("download", announcement.getPart());
    Downloaded downloaded = download(announcement, blobs, progress);
    phase.end(announcement.getRecordCount(), announcement.getSize() - downloaded.resumedAt());
    phase = HistoryPhase.begin("verify", announcement.getPart());
    verify(downloaded.file(), announcement);
    phase.end(announcement.getRecordCount(), announcement.getSize());
    // The bundle is safely here; the server need not keep it until its expiry.
    try {
      blobs.confirm(announcement.getBlobId());
    } catch (ClientException e) {
      // harmless: the server deletes it at expiry anyway
    }
    Result result;
    try {
      result = importFile(downloaded.file(), announcement, progress);
    } catch (ClientException e) {
      if (e.code().equals(CORRUPT)) {
        bundles.markFailed(announcement, e.getMessage());
        deleteQuietly(downloaded.file());
      }
      throw e;
    }
    deleteQuietly(downloaded.file());
    return new Result(
        result.outcome(), result.records(), result.messagesAdded(), result.contactsAdded(), downloaded.resumedAt());
  }

  private record Downloaded(Path file, long resumedAt) {}

  private Downloaded download(HistorySync announcement, BlobTransfer blobs, Consumer<HistorySyncEvent> progress) {
    Path file = workDirectory.resolve(fileName(announcement));
    try {
      Files.createDirectories(workDirectory);
    } catch (IOException e) {
      throw new ClientException("cannot create " + workDirectory + ": " + e.getMessage(), e);
    }
    long resumedAt =
        blobs.download(
            announcement.getBlobId(),
            file,
            announcement.getSize(),
            held -> progress.accept(event("downloading", announcement, 0, held)));
    return new Downloaded(file, resumedAt);
  }

  /** Refuses a download whose size or digest differs from the announcement, and removes it. */
  private static void verify(Path file, HistorySync announcement) {
    try {
      long size = Files.size(file);
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) != -1; ) {
          sha256.update(buffer, 0, n);
        }
      }
      if (size != announcement.getSize() || !MessageDigest.isEqual(sha256.digest(), announcement.getSha256().toByteArray())) {
        Files.deleteIfExists(file);
        throw new ClientException(
            DAMAGED_DOWNLOAD,
            "the downloaded history bundle (part " + announcement.getPart() + ") does not match the size and SHA-256"
                + " its announcement gives; it was removed, run the import again to download it anew",
            null);
      }
    } catch (IOException e) {
      throw new ClientException("cannot read the downloaded history bundle " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Decrypts and imports a bundle already on disk, all in one transaction, marking the announcement
   * imported in the same commit.
   */
  public Result importFile(Path file, HistorySync announcement, Consumer<HistorySyncEvent> progress) {
    long total = announcement.getRecordCount();
    long step = Math.max(1, total / 100);
    HistoryPhase phase = HistoryPhase.begin("import", announcement.getPart());
    progress.accept(event("importing", announcement, 0, announcement.getSize()));
    HistorySyncEvent imported = event(HistorySyncEvent.IMPORTED, announcement, total, announcement.getSize());
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
        BundleReader reader = new BundleReader(in, announcement.getKey().toByteArray())) {
      check(reader.header(), announcement);
      Result result = store.transaction(c -> {
        RecordImport.Counts counts = new RecordImport.Counts();
        // A new companion takes a year in one bundle: faster with the indexes built afterwards.
        List<String> indexes =
            MessageIndexes.worthRebuilding(total, MessageIndexes.held(c)) ? MessageIndexes.drop(c) : List.of();
        try (RecordImport records = new RecordImport(c, new GroupStore(store, new Contacts(store)))) {
          for (HistoryRecord record = next(reader); record != null; record = next(reader)) {
            if (counts.records == total) {
              // Stop at once: a bundle that inflates far past its announcement would otherwise grow
              // the open transaction (and the WAL) until the disk is full.
              throw new ClientException(
                  CORRUPT,
                  "history bundle part " + announcement.getPart() + " holds more records than the " + total
                      + " it was announced with; nothing of it was imported",
                  null);
            }
            records.apply(record, counts);
            if (++counts.records % step == 0) {
              progress.accept(event("importing", announcement, counts.records, announcement.getSize()));
            }
          }
        }
        if (counts.records != total) {
          throw new ClientException(
              CORRUPT,
              "history bundle part " + announcement.getPart() + " holds " + counts.records
                  + " records but was announced with " + total + "; nothing of it was imported",
              null);
        }
        MessageIndexes.rebuild(c, indexes);
        bundles.markImported(c, announcement, counts.records);
        if (counts.appStateRefused > 0) {
          WarningEvent refused =
              new WarningEvent(
                  "app-state-refused",
                  counts.appStateRefused + " app-state entries of the imported history were left out: "
                      + counts.appStateReason);
          // Logged: the next 'receive' (or the daemon's stream) shows it.
          log.append(refused);
        }
        log.append(imported);
        return new Result(Outcome.IMPORTED, counts.records, counts.messages, counts.contacts, 0);
      });
      phase.end(result.records(), announcement.getSize());
      progress.accept(imported);
      return result;
    } catch (UncheckedIOException e) {
      throw refused(announcement, e.getCause());
    } catch (IOException e) {
      throw refused(announcement, e);
    }
  }

  private static ClientException refused(HistorySync announcement, IOException e) {
    if (e instanceof BundleException) {
      return new ClientException(
          CORRUPT,
          "history bundle part " + announcement.getPart() + " was refused and nothing of it imported: " + e.getMessage(),
          e);
    }
    return new ClientException("cannot read the history bundle: " + e.getMessage(), e);
  }

  private void check(HistoryHeader header, HistorySync announcement) throws BundleException {
    if (!header.getAccountId().equals(account.toString())) {
      throw new BundleException("the bundle holds the history of another account");
    }
    if (header.getPart() != announcement.getPart()) {
      throw new BundleException(
          "the bundle is part " + header.getPart() + " but was announced as part " + announcement.getPart());
    }
  }

  private static HistoryRecord next(BundleReader reader) {
    try {
      return reader.next();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a leftover download only takes disk space
    }
  }

  private static String fileName(HistorySync announcement) {
    String id = announcement.getBlobId();
    if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new ClientException("the history announcement names an invalid blob id '" + id + "'");
    }
    return id + ".bundle";
  }

  private static HistorySyncEvent event(String state, HistorySync announcement, long imported, long downloaded) {
    return new HistorySyncEvent(
        state,
        announcement.getPart(),
        announcement.getLastPart(),
        announcement.getRecordCount(),
        imported,
        announcement.getSize(),
        downloaded,
        announcement.getFromTimestamp(),
        announcement.getToTimestamp());
  }
}
