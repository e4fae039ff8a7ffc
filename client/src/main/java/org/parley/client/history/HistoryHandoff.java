package org.parley.client.history;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.parley.client.ClientException;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.messaging.MessageSender;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.EventLog;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.HistorySync;
import org.parley.protocol.wire.SyncMessage;

/**
 * Hands history from the primary to a new companion (DESIGN.md §7): the primary exports and
 * announces the bundles end-to-end to its own devices; the companion imports what was announced to
 * it, after the message carrying the announcement is committed.
 */
public final class HistoryHandoff {
  private final ProfileStore profile;
  private final LocalDevice local;
  private final Clock clock;
  private final SSLContext ssl;
  private final Path workDirectory;
  private final HistoryImporter importer;
  private final EventLog log;

  public HistoryHandoff(
      ProfileStore profile, LocalDevice local, Clock clock, SSLContext ssl, Path workDirectory, EventLog log) {
    this.profile = profile;
    this.local = local;
    this.clock = clock;
    this.ssl = ssl;
    this.workDirectory = workDirectory;
    this.log = log;
    this.importer =
        local.isRegistered()
            ? new HistoryImporter(profile, local.account(), local.deviceId(), clock, workDirectory, log)
            : null;
  }

  /** On the primary: exports the last {@code days} days for the companion and announces them. */
  public int send(ServerConnection server, MessageSender sender, int companion, int days) {
    List<HistorySync> parts;
    try (BlobTransfer blobs = BlobTransfer.forDevice(local, ssl)) {
      parts = new HistoryExporter(profile, local.account(), clock, workDirectory).export(server, blobs, companion, days);
    }
    UUID own = local.account();
    for (HistorySync part : parts) {
      Content announcement = Content.newBuilder().setSync(SyncMessage.newBuilder().setHistory(part)).build();
      sender.send(server, List.of(new MessageSender.Part(own, announcement)), clock.millis(), false);
    }
    return parts.size();
  }

  /**
   * On a companion, inside the transaction taking in the announcing message: remembers it, so the
   * import is retried after a crash.
   */
  public void remember(HistorySync announcement) {
    if (importer != null) {
      importer.remember(announcement);
    }
  }

  /**
   * Imports every announced bundle not imported yet, reporting progress as events (a part's
   * {@code imported} event and any warning are logged; progress steps are not). Returns true once
   * the last part of an export has been imported.
   */
  public boolean importPending(Consumer<ClientEvent> events) {
    if (importer == null) {
      return false;
    }
    boolean complete = false;
    List<HistorySync> pending = importer.pending();
    if (pending.isEmpty()) {
      return false;
    }
    try (BlobTransfer blobs = BlobTransfer.forDevice(local, ssl)) {
      for (HistorySync part : pending) {
        try {
          importer.importBundle(part, blobs, events::accept);
          complete |= part.getLastPart();
        } catch (ClientException e) {
          WarningEvent warning =
              new WarningEvent("history-sync", "history part " + part.getPart() + ": " + e.getMessage());
          log.append(warning);
          events.accept(warning);
          // A bundle refused for good ends the wait too: the primary must export again.
          complete |= part.getLastPart() && HistoryImporter.CORRUPT.equals(e.code());
        }
      }
    }
    return complete;
  }
}
