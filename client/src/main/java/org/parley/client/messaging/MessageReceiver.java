package org.parley.client.messaging;

import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.Contacts;
import org.parley.client.store.EventLog;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.client.store.Quarantine;
import org.parley.client.store.SignalStore;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;
import org.signal.libsignal.protocol.DuplicateMessageException;
import org.signal.libsignal.protocol.InvalidKeyException;
import org.signal.libsignal.protocol.InvalidKeyIdException;
import org.signal.libsignal.protocol.InvalidMessageException;
import org.signal.libsignal.protocol.InvalidVersionException;
import org.signal.libsignal.protocol.LegacyMessageException;
import org.signal.libsignal.protocol.NoSessionException;
import org.signal.libsignal.protocol.SessionCipher;
import org.signal.libsignal.protocol.SignalProtocolAddress;
import org.signal.libsignal.protocol.UntrustedIdentityException;
import org.signal.libsignal.protocol.message.PreKeySignalMessage;
import org.signal.libsignal.protocol.message.SignalMessage;

/**
 * Takes one envelope in (docs/PROTOCOL.md §8): decrypt, apply what it says, and record its guid, all in one
 * local transaction; only then may the caller ack it. A crash before the commit leaves the session
 * untouched so the redelivery decrypts again; after it, the redelivery is a known guid and is just
 * acked.
 */
public final class MessageReceiver {
  private final ProfileStore profile;
  private final SignalStore signal;
  private final DeviceDirectory directory;
  private final Contacts contacts;
  private final MessageHistory history;
  private final ContentProcessor processor;
  private final GroupInbox groups;
  private final Clock clock;
  private final UUID ownAccount;
  private final ReceiveHooks hooks;
  private final EventLog log;
  private final Quarantine quarantine;
  private final SenderCheck check;
  private final IdentityNotices notices;
  private final RetryRequests retries;
  private final Resends resends;
  /** A retry request or a message owed again was recorded since {@link #owesRetries} was last asked. */
  private boolean owesRetries;

  public MessageReceiver(
      ProfileStore profile,
      SignalStore signal,
      DeviceDirectory directory,
      Contacts contacts,
      MessageHistory history,
      ContentProcessor processor,
      GroupInbox groups,
      Clock clock,
      UUID ownAccount,
      ReceiveHooks hooks,
      IdentityNotices notices,
      EventLog log) {
    this.profile = profile;
    this.signal = signal;
    this.directory = directory;
    this.contacts = contacts;
    this.history = history;
    this.processor = processor;
    this.groups = groups;
    this.clock = clock;
    this.ownAccount = ownAccount;
    this.hooks = hooks;
    this.quarantine = new Quarantine(profile);
    this.check = new SenderCheck(directory, contacts, signal);
    this.notices = notices;
    this.log = log;
    this.retries = new RetryRequests(profile, signal, clock);
    this.resends = new Resends(profile, clock);
  }

  /**
   * Handles an envelope. Returns the events it produced; when it returns (even with only warnings)
   * the envelope is committed as processed (or quarantined), in the same transaction as its events'
   * entries in the event log, and must be acked.
   *
   * @throws CheckUnavailable when the sender could not be checked for now: do not ack
   */
  public List<ClientEvent> handle(ServerConnection server, Envelope envelope) {
    byte[] guid = envelope.getGuid().toByteArray();
    if (history.processed(guid)) {
      return List.of();
    }
    String malformed = EnvelopeShape.problem(envelope);
    if (malformed != null) {
      history.markProcessed(guid, clock.millis());
      return List.of(new WarningEvent("malformed-envelope", "the server delivered an envelope that cannot be read: " + malformed));
    }
    if (envelope.getType() == CiphertextType.SERVER) {
      return profile.transaction(c -> {
        List<ClientEvent> events = groups.notice(envelope);
        processed(guid, events);
        return events;
      });
    }
    contacts.notePhone(UUID.fromString(envelope.getSourceAccount()), envelope.getSourcePhone());
    return take(server, envelope);
  }

  /**
   * Takes in again what was held for a new identity the user has trusted since (in arrival order).
   * Returns the events, as {@link #handle} would have.
   */
  public List<ClientEvent> releaseHeld(ServerConnection server) {
    List<ClientEvent> events = new ArrayList<>();
    for (Quarantine.Entry held : quarantine.held()) {
      if (contacts.byAccount(held.account()).map(Contacts.Known::held).orElse(true)) {
        continue;
      }
      quarantine.release(held.envelope());
      events.addAll(take(server, held.envelope()));
    }
    return events;
  }

  private List<ClientEvent> take(ServerConnection server, Envelope envelope) {
    byte[] guid = envelope.getGuid().toByteArray();
    UUID sender = UUID.fromString(envelope.getSourceAccount());
    int device = envelope.getSourceDevice();
    SenderCheck.Refusal refusal = check.check(server, envelope);
    List<ClientEvent> events = new ArrayList<>();
    if (refusal != null) {
      // Kept, never applied; no session exists for the key it speaks with. Acked only after this commit.
      profile.transaction(c -> {
        quarantine.keep(envelope, refusal.reason(), refusal.detail(), clock.millis());
        events.add(
            new UntrustedEvent(
                refusal.reason(), envelope.getSourcePhone(), device, envelope.getServerTimestamp(),
                "not shown: " + refusal.detail()));
        owedNotice(sender, events);
        return processed(guid, events);
      });
      return events;
    }
    try {
      profile.transaction(c -> {
        Content content = parse(unpad(decrypt(envelope, sender, device)));
        Incoming incoming = new Incoming(envelope, sender, device, envelope.getSourcePhone(), content);
        retries.arrived(sender, device, envelope.getClientTimestamp());
        if (content.hasRetryRequest()) {
          resends.asked(sender, device, content.getRetryRequest(), events);
          owesRetries = true;
        } else if (!groups.take(incoming, events)) {
          processor.apply(incoming, events);
        }
        owedNotice(sender, events);
        processed(guid, events);
        hooks.decrypted(envelope);
        return null;
      });
    } catch (Undecryptable e) {
      // Recorded and acked; what the sender could help with is asked for again (RetryRequests).
      events.clear();
      profile.transaction(c -> {
        ClientEvent waiting =
            e.retryable() ? retries.failed(envelope, sender, envelope.getType() == CiphertextType.WHISPER) : null;
        owesRetries |= waiting != null;
        events.add(
            e.shown() != null
                ? e.shown()
                : waiting != null
                    ? waiting
                    : new WarningEvent(
                        "undecryptable",
                        "a message from " + envelope.getSourcePhone() + " device " + device
                            + " could not be decrypted (" + e.getMessage() + ")"));
        return processed(guid, events);
      });
    }
    return events;
  }

  /**
   * Whether a retry request or a message owed again was recorded since the last call: then the loop
   * sends them once it has taken in what is queued (RetryRequests, Resends).
   */
  public boolean owesRetries() {
    boolean owed = owesRetries;
    owesRetries = false;
    return owed;
  }

  /** Inside the envelope's transaction: the guid is taken, and what it produced is logged. */
  private Void processed(byte[] guid, List<ClientEvent> events) {
    history.markProcessed(guid, clock.millis());
    events.forEach(log::append);
    return null;
  }

  /**
   * The first event from an account whose identity changed is preceded by the identity-changed
   * notice, shown once (docs/PROTOCOL.md §5).
   */
  private void owedNotice(UUID sender, List<ClientEvent> events) {
    Contacts.Known known = contacts.byAccount(sender).orElse(null);
    if (known == null || known.changedFrom() == null || events.isEmpty()) {
      return;
    }
    events.addFirst(notices.changed(known));
    contacts.noticeShown(sender);
  }

  private byte[] decrypt(Envelope envelope, UUID sender, int device) {
    SignalProtocolAddress address = new SignalProtocolAddress(sender.toString(), device);
    SessionCipher cipher = new SessionCipher(signal, address);
    byte[] bytes = envelope.getContent().toByteArray();
    try {
      return switch (envelope.getType()) {
        case PREKEY -> cipher.decrypt(new PreKeySignalMessage(bytes));
        case WHISPER -> cipher.decrypt(new SignalMessage(bytes));
        case SENDER_KEY -> groups.decrypt(envelope, address);
        default -> throw new Undecryptable("unsupported envelope type " + envelope.getType(), false);
      };
    } catch (DuplicateMessageException e) {
      throw new Undecryptable("a duplicate of a message already received", false);
    } catch (InvalidMessageException
        | InvalidKeyIdException
        | InvalidKeyException
        | InvalidVersionException
        | LegacyMessageException
        | NoSessionException
        | org.signal.libsignal.protocol.InvalidSessionException e) {
      throw new Undecryptable(e.getClass().getSimpleName() + ": " + e.getMessage(), true);
    } catch (UntrustedIdentityException e) {
      throw new Undecryptable(e.getClass().getSimpleName() + ": " + e.getMessage(), false);
    }
  }

  private static byte[] unpad(byte[] padded) {
    try {
      return Padding.unpad(padded);
    } catch (IllegalArgumentException e) {
      throw new Undecryptable("invalid padding", false);
    }
  }

  /**
   * A message that can never be decrypted (or is refused before it is); it is recorded and acked so
   * it does not come back.
   */
  static final class Undecryptable extends RuntimeException {
    private final boolean retryable;
    private final transient ClientEvent shown;

    /**
     * @param retryable whether the sender could help by sending it again (a lost session or sender
     *     key, a corrupted state); not for duplicates, refusals or content that decrypted wrong
     */
    Undecryptable(String message, boolean retryable) {
      super(message, null, false, false);
      this.retryable = retryable;
      this.shown = null;
    }

    /** Refused before decrypting: {@code shown} tells the user why; nothing is asked again. */
    Undecryptable(ClientEvent shown) {
      super(shown.toString(), null, false, false);
      this.retryable = false;
      this.shown = shown;
    }

    boolean retryable() {
      return retryable;
    }

    ClientEvent shown() {
      return shown;
    }
  }

  private static Content parse(byte[] plaintext) {
    try {
      return Content.parseFrom(plaintext);
    } catch (InvalidProtocolBufferException e) {
      throw new Undecryptable("the decrypted content is not a valid message", false);
    }
  }
}
