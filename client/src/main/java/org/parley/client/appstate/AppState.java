package org.parley.client.appstate;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.parley.client.ClientException;
import org.parley.client.events.ClientEvent;
import org.parley.client.messaging.DeviceDirectory;
import org.parley.client.messaging.MessageSender;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.Contacts;
import org.parley.client.store.EventLog;
import org.parley.client.store.GroupStore;
import org.parley.client.store.LocalDevice;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.PhoneNumbers;
import org.parley.protocol.wire.AppStateMutation;
import org.parley.protocol.wire.AppStateSync;
import org.parley.protocol.wire.AppStateValue;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.LabelValue;
import org.parley.protocol.wire.NoteValue;
import org.parley.protocol.wire.SyncMessage;

/**
 * The account's app state as this device's user changes it (DESIGN.md §16): contact names, chat
 * marks, labels, assignments to agents, internal notes. A change is committed here first, with its
 * event and marked pending, then sent end-to-end to the account's other vouched devices (a sync
 * message through the same sender as a sent transcript). If the server cannot be reached the change
 * stays pending and goes out with the next connection: it is never lost, and never sent anywhere but
 * to own devices the primary's signed list vouches for.
 */
public final class AppState {
  private final ProfileStore profile;
  private final LocalDevice local;
  private final Contacts contacts;
  private final GroupStore groups;
  private final AppStateLog log;
  private final Applier applier;
  private final Names names;
  private final EventLog events;
  private final Clock clock;
  private final Supplier<ServerConnection> server;
  private final Supplier<MessageSender> sender;
  private final Supplier<DeviceDirectory> directory;
  private final RandomGenerator random;
  private final AppStateViews views;

  public AppState(
      ProfileStore profile,
      LocalDevice local,
      Contacts contacts,
      GroupStore groups,
      AppStateLog log,
      Applier applier,
      Names names,
      EventLog events,
      Clock clock,
      Supplier<ServerConnection> server,
      Supplier<MessageSender> sender,
      Supplier<DeviceDirectory> directory) {
    this.profile = profile;
    this.local = local;
    this.contacts = contacts;
    this.groups = groups;
    this.log = log;
    this.applier = applier;
    this.names = names;
    this.events = events;
    this.clock = clock;
    this.server = server;
    this.sender = sender;
    this.directory = directory;
    this.random = new java.security.SecureRandom();
    this.views = new AppStateViews(profile, log, names, contacts, local.account(), clock);
  }

  /**
   * What became of a change.
   *
   * @param changed false when the state already was so (nothing was sent)
   * @param synced whether every pending change has reached the server for the other own devices
   * @param pendingReason why not, if not
   */
  public record Change(boolean changed, boolean synced, String pendingReason) {}

  public AppStateViews views() {
    return views;
  }

  // ------------------------------------------------------------------ contacts

  /** Names a number in the account's address book; a blank name removes it. */
  public Change nameContact(String phone, String name) {
    String number = PhoneNumbers.normalize(phone);
    AppStateValue value =
        name == null || name.isBlank()
            ? null
            : AppStateValue.newBuilder()
                .setName(Mutation.name(name.strip(), "a contact name", AppStateLimits.MAX_CONTACT_NAME_CHARS))
                .build();
    return change(List.of(new Wanted(AppStateKey.contact(number), value)));
  }

  // ------------------------------------------------------------------ chat marks

  public Change archive(String chat, boolean on) {
    return mark(AppStateKey.Kind.ARCHIVE, chat, on);
  }

  public Change pin(String chat, boolean on) {
    return mark(AppStateKey.Kind.PIN, chat, on);
  }

  public Change markUnread(String chat, boolean on) {
    return mark(AppStateKey.Kind.UNREAD, chat, on);
  }

  /** Mutes a chat for {@code duration}, or for ever when it is {@code null}. */
  public Change mute(String chat, Duration duration) {
    if (duration != null && (duration.isNegative() || duration.isZero())) {
      throw new IllegalArgumentException("a mute lasts a positive time, or for ever when none is given");
    }
    long until = duration == null ? -1 : Math.addExact(clock.millis(), duration.toMillis());
    return change(
        List.of(new Wanted(AppStateKey.chat(AppStateKey.Kind.MUTE, resolve(chat)), AppStateValue.newBuilder().setMutedUntil(until).build())));
  }

  public Change unmute(String chat) {
    return change(List.of(new Wanted(AppStateKey.chat(AppStateKey.Kind.MUTE, resolve(chat)), null)));
  }

  private Change mark(AppStateKey.Kind kind, String chat, boolean on) {
    return change(List.of(new Wanted(AppStateKey.chat(kind, resolve(chat)), on ? on() : null)));
  }

  /**
   * The user read a chat on this device: a "marked unread" mark goes (on every own device). Never
   * fails the read: if the mark cannot be sent now it stays pending.
   */
  public void chatRead(ChatRef chat) {
    AppStateKey key = AppStateKey.chat(AppStateKey.Kind.UNREAD, chat);
    if (log.get(key).map(e -> !e.deleted()).orElse(false)) {
      change(List.of(new Wanted(key, null)));
    }
  }

  // ------------------------------------------------------------------ labels

  /** Creates a label; {@code colour} is #rrggbb or a colour's name, or picked when {@code null}. */
  public AppStateViews.LabelView createLabel(String name, String colour) {
    String shown = Mutation.name(name == null ? null : name.strip(), "a label name", AppStateLimits.MAX_LABEL_NAME_CHARS);
    if (views.labelsNamed(shown).size() > 0) {
      throw new ClientException("LABEL_EXISTS", "there is a label named '" + shown + "' already", null);
    }
    int labels = log.count(AppStateKey.Kind.LABEL);
    if (labels >= AppStateLimits.MAX_LABELS) {
      throw new ClientException(
          "LIMIT_REACHED",
          "this account has " + labels + " labels, the most it may have (" + AppStateLimits.MAX_LABELS
              + "); delete one first ('parley labels delete LABEL')",
          null);
    }
    String id = AppStateKey.newId(random);
    String picked = colour == null ? Colours.PALETTE.get(labels % Colours.PALETTE.size()) : Colours.parse(colour);
    change(List.of(new Wanted(AppStateKey.label(id), labelValue(shown, picked))));
    return views.label(id).orElseThrow();
  }

  /** Renames a label and/or gives it another colour. */
  public AppStateViews.LabelView updateLabel(String label, String newName, String colour) {
    if (newName == null && colour == null) {
      throw new IllegalArgumentException("give a new name or a colour");
    }
    String id = views.labelId(label);
    LabelValue current = log.get(AppStateKey.label(id)).orElseThrow().value().getLabel();
    String name =
        newName == null
            ? current.getName()
            : Mutation.name(newName.strip(), "a label name", AppStateLimits.MAX_LABEL_NAME_CHARS);
    if (!name.equalsIgnoreCase(current.getName()) && !views.labelsNamed(name).isEmpty()) {
      throw new ClientException("LABEL_EXISTS", "there is a label named '" + name + "' already", null);
    }
    change(List.of(new Wanted(AppStateKey.label(id), labelValue(name, colour == null ? current.getColour() : Colours.parse(colour)))));
    return views.label(id).orElseThrow();
  }

  /** Deletes a label, and takes it off every chat and message it was on. */
  public Change deleteLabel(String label) {
    String id = views.labelId(label);
    List<Wanted> wanted = new ArrayList<>();
    wanted.add(new Wanted(AppStateKey.label(id), null));
    for (AppStateKey.Kind kind : List.of(AppStateKey.Kind.CHAT_LABEL, AppStateKey.Kind.MESSAGE_LABEL)) {
      for (AppStateLog.Entry entry : log.liveWithLabel(kind, id)) {
        wanted.add(new Wanted(AppStateKey.parse(entry.key()), null));
      }
    }
    return change(wanted);
  }

  /** Puts a label on a chat, or on one message of it ({@code messageId}), or takes it off. */
  public Change label(String label, String chat, String messageId, boolean on) {
    String id = views.labelId(label);
    ChatRef ref = resolve(chat);
    AppStateKey key;
    if (messageId == null) {
      key = AppStateKey.chatLabel(id, ref);
    } else {
      UUID author =
          views.messageAuthor(ref, messageId)
              .orElseThrow(() -> new ClientException(
                  "NOT_FOUND", "there is no message " + messageId + " in that chat; see 'parley history'", null));
      key = AppStateKey.messageLabel(id, ref, author, messageId);
    }
    return change(List.of(new Wanted(key, on ? on() : null)));
  }

  // ------------------------------------------------------------------ assignment and notes

  /**
   * Assigns a chat to one of the account's devices as its agent ({@code device}: its id or name), or
   * unassigns it ({@code null}). Only a device the primary's signed list vouches for can be an agent.
   */
  public Change assign(String chat, String device) {
    ChatRef ref = resolve(chat);
    if (device == null) {
      return change(List.of(new Wanted(AppStateKey.chat(AppStateKey.Kind.ASSIGN, ref), null)));
    }
    int agent = ownDevice(device);
    return change(
        List.of(new Wanted(AppStateKey.chat(AppStateKey.Kind.ASSIGN, ref), AppStateValue.newBuilder().setDeviceId(agent).build())));
  }

  /** An own vouched device by id or name. */
  public int ownDevice(String device) {
    List<Contacts.KnownDevice> own = ownDevices();
    String wanted = device.strip();
    for (Contacts.KnownDevice d : own) {
      if (Integer.toString(d.deviceId()).equals(wanted)) {
        return d.deviceId();
      }
    }
    List<Contacts.KnownDevice> named =
        own.stream().filter(d -> d.name() != null && d.name().equalsIgnoreCase(wanted)).toList();
    if (named.size() == 1) {
      return named.getFirst().deviceId();
    }
    throw new ClientException(
        "NOT_FOUND",
        named.isEmpty()
            ? "'" + device + "' is not one of this account's devices; see 'parley devices'"
            : "several of this account's devices are named '" + device + "'; give its id (see 'parley devices')",
        null);
  }

  /** This account's devices the primary vouches for, as freshly as the server can tell. */
  private List<Contacts.KnownDevice> ownDevices() {
    try {
      directory.get().refresh(server.get(), local.account());
    } catch (ClientException e) {
      // Offline: the devices as last verified.
    }
    return contacts.devices(local.account()).stream().filter(Contacts.KnownDevice::trusted).toList();
  }

  /** Adds an internal note to a chat: seen by the account's own devices only. */
  public AppStateViews.NoteView addNote(String chat, String text) {
    ChatRef ref = resolve(chat);
    Mutation.note(text);
    int notes = log.countLive("kind = 'note' AND chat = ?", ref.token());
    if (notes >= AppStateLimits.MAX_NOTES_PER_CHAT) {
      throw new ClientException(
          "LIMIT_REACHED", "this chat has " + notes + " notes, the most a chat may have (" + AppStateLimits.MAX_NOTES_PER_CHAT + ")", null);
    }
    String id = AppStateKey.newId(random);
    change(List.of(new Wanted(AppStateKey.note(ref, id), AppStateValue.newBuilder().setNote(NoteValue.newBuilder().setText(text)).build())));
    return views.notes(ref).stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
  }

  public List<AppStateViews.NoteView> notes(String chat) {
    return views.notes(resolve(chat));
  }

  // ------------------------------------------------------------------ making and sending changes

  /** A value wanted for a key ({@code null}: deleted). */
  private record Wanted(AppStateKey key, AppStateValue value) {}

  /**
   * Commits the wanted values as this device's mutations, each with its event (if it changed
   * anything), in one transaction; then sends what is pending.
   */
  private Change change(List<Wanted> wanted) {
    requireLinked();
    int made =
        profile.transaction(c -> {
          int count = 0;
          long now = clock.millis();
          for (Wanted w : wanted) {
            Optional<AppStateLog.Entry> current = log.get(w.key());
            AppStateValue before = current.map(AppStateLog.Entry::value).orElse(null);
            // Written even when it is so already: the user's latest word on the key, with a version
            // past everything this device has seen, wins over a change made elsewhere meanwhile.
            if (!(before == null ? w.value() == null : before.equals(w.value()))) {
              count++;
            }
            if (current.isEmpty() && log.size() >= AppStateLimits.MAX_ENTRIES) {
              throw new ClientException(
                  "LIMIT_REACHED",
                  "this account keeps at most " + AppStateLimits.MAX_ENTRIES + " app-state entries (names, marks,"
                      + " labels, notes) and has that many; remove names, labels or notes first",
                  null);
            }
            Mutation m = new Mutation(w.key(), w.value(), log.nextVersion(), local.deviceId(), now);
            int size = m.toProto().getSerializedSize();
            if (size > AppStateLimits.MAX_MUTATION_BYTES) {
              throw new IllegalArgumentException(
                  "this change takes " + size + " bytes, more than the " + AppStateLimits.MAX_MUTATION_BYTES
                      + " one change may");
            }
            ClientEvent event = applier.apply(m, true);
            if (event != null) {
              events.append(event);
            }
          }
          return count;
        });
    Sync sync = flush();
    return new Change(made > 0, sync.pending() == 0, sync.failure());
  }

  /**
   * What {@link #flush} did.
   *
   * @param sent mutations that reached the server
   * @param pending mutations still waiting
   * @param failure why some are still waiting, or {@code null}
   */
  public record Sync(int sent, int pending, String failure) {}

  private final Object flushing = new Object();

  /** Sends this device's pending changes to the account's other vouched devices. */
  public Sync flush() {
    synchronized (flushing) {
      int sent = 0;
      try {
        List<Mutation> pending = log.pending(1000);
        if (pending.isEmpty()) {
          return new Sync(0, 0, null);
        }
        ServerConnection connection = server.get();
        while (!pending.isEmpty()) {
          for (List<Mutation> batch : batches(pending)) {
            AppStateSync.Builder sync = AppStateSync.newBuilder();
            batch.forEach(m -> sync.addMutations(withPhone(m)));
            Content content = Content.newBuilder().setSync(SyncMessage.newBuilder().setAppState(sync)).build();
            sender.get().send(connection, List.of(new MessageSender.Part(local.account(), content)), clock.millis(), false);
            log.sent(batch);
            sent += batch.size();
          }
          pending = log.pending(1000);
        }
        log.forgetDeletionsBefore(clock.millis() - AppStateLimits.KEEP_DELETIONS.toMillis());
        return new Sync(sent, 0, null);
      } catch (ClientException e) {
        return new Sync(sent, log.pending(Integer.MAX_VALUE).size(), e.getMessage());
      }
    }
  }

  /** The mutation as sent: a key about a 1:1 chat carries the contact's number. */
  private AppStateMutation withPhone(Mutation m) {
    AppStateMutation proto = m.toProto();
    ChatRef chat = m.key().chat();
    String phone = chat == null || chat.isGroup() ? null : contacts.phoneOf(chat.account());
    return phone == null ? proto : proto.toBuilder().setChatPhone(phone).build();
  }

  private static List<List<Mutation>> batches(List<Mutation> mutations) {
    List<List<Mutation>> out = new ArrayList<>();
    List<Mutation> batch = new ArrayList<>();
    int bytes = 0;
    for (Mutation m : mutations) {
      int size = m.toProto().getSerializedSize() + 4;
      if (!batch.isEmpty() && bytes + size > AppStateLimits.MAX_BATCH_BYTES) {
        out.add(batch);
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(m);
      bytes += size;
    }
    if (!batch.isEmpty()) {
      out.add(batch);
    }
    return out;
  }

  // ------------------------------------------------------------------ helpers

  /** A chat as the user writes it: +E164 for a 1:1 chat, a group ID for a group. */
  public ChatRef resolve(String chat) {
    if (chat == null || chat.isBlank()) {
      throw new IllegalArgumentException("name a chat: a +E164 number or a group ID");
    }
    String written = chat.strip();
    if (written.startsWith("+")) {
      String phone = PhoneNumbers.normalize(written);
      Optional<UUID> known = contacts.byPhone(phone).map(Contacts.Known::account);
      if (known.isPresent()) {
        return ChatRef.direct(known.get());
      }
      return ChatRef.direct(directory.get().refreshByPhone(server.get(), phone).id());
    }
    ChatRef group;
    try {
      group = ChatRef.group(written);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + chat + "' is neither a +E164 number nor a group ID");
    }
    if (groups.get(written).isEmpty() && !views.hasMessages(group)) {
      throw new ClientException("NOT_FOUND", "there is no group " + written + "; see 'parley groups list'", null);
    }
    return group;
  }

  private void requireLinked() {
    if (!local.isRegistered() || local.unlinkedReason() != null) {
      throw new ClientException(
          "UNLINKED", "this device is not linked to an account; app state cannot change here", null);
    }
  }

  private static AppStateValue on() {
    return AppStateValue.newBuilder().setOn(true).build();
  }

  private static AppStateValue labelValue(String name, String colour) {
    return AppStateValue.newBuilder().setLabel(LabelValue.newBuilder().setName(name).setColour(colour)).build();
  }

  /** Colours a label may have, by name or as #rrggbb. */
  static final class Colours {
    static final Map<String, String> NAMED =
        Map.of(
            "red", "#e53935", "orange", "#fb8c00", "yellow", "#fdd835", "green", "#43a047", "teal", "#00897b",
            "blue", "#1e88e5", "purple", "#8e24aa", "pink", "#d81b60", "grey", "#757575", "gray", "#757575");
    static final List<String> PALETTE =
        List.of("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#e53935", "#00897b", "#d81b60", "#fdd835", "#757575");

    static String parse(String colour) {
      String c = colour.strip().toLowerCase(Locale.ROOT);
      if (NAMED.containsKey(c)) {
        return NAMED.get(c);
      }
      if (c.matches("#[0-9a-f]{6}")) {
        return c;
      }
      throw new IllegalArgumentException(
          "'" + colour + "' is not a colour: give #rrggbb or one of red, orange, yellow, green, teal, blue, purple,"
              + " pink, grey");
    }
  }
}
