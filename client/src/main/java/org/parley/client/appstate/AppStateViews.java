package org.parley.client.appstate;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.store.Contacts;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.AppStateValue;

/**
 * App state as people read it: the chat list with its marks, labels and agents, the labels, a chat's
 * notes, the address book. Reads only; changes go through {@link AppState}.
 */
public final class AppStateViews {
  private final ProfileStore profile;
  private final AppStateLog log;
  private final Names names;
  private final Contacts contacts;
  private final UUID ownAccount;
  private final Clock clock;

  AppStateViews(ProfileStore profile, AppStateLog log, Names names, Contacts contacts, UUID ownAccount, Clock clock) {
    this.profile = profile;
    this.log = log;
    this.names = names;
    this.contacts = contacts;
    this.ownAccount = ownAccount;
    this.clock = clock;
  }

  /**
   * A chat in the list.
   *
   * @param chat the contact's number (1:1) or the group ID
   * @param name the contact's name in the address book or the group's name, or {@code null}
   * @param lastMessage the newest message's time (epoch ms), 0 if none
   * @param unread incoming messages not read yet
   * @param mutedUntil epoch ms, -1 for ever, 0 when not muted (a mute that ran out is 0)
   * @param labels the names of the labels on the chat
   * @param assignedTo the own device the chat is assigned to, 0 if none; {@code assignedToName} its name
   * @param notes internal notes on the chat
   */
  public record ChatView(
      String chat,
      String name,
      boolean group,
      long lastMessage,
      int unread,
      boolean markedUnread,
      boolean archived,
      boolean pinned,
      long mutedUntil,
      List<String> labels,
      int assignedTo,
      String assignedToName,
      int notes) {}

  /** Which chats {@link #chats} lists: archived ones only, or the others; with a label; assigned to a device. */
  public record Filter(boolean archived, String label, Integer assignedTo) {}

  /** @param chats chats it is on; {@code messages} single messages it is on */
  public record LabelView(String id, String name, String colour, int chats, int messages) {}

  public record NoteView(String id, String chat, String text, int byDevice, String byDeviceName, long timestamp) {}

  /** A number in the address book or one this device knows: {@code name} from the address book. */
  public record ContactView(String number, String name, String accountId) {}

  private static final class Marks {
    boolean archived;
    boolean pinned;
    boolean markedUnread;
    long mutedUntil;
    final List<String> labels = new ArrayList<>();
    int assignedTo;
    int notes;
  }

  /** The chats, pinned first, then the most recent first. */
  public List<ChatView> chats(Filter filter) {
    String labelId = filter.label() == null ? null : labelId(filter.label());
    Map<String, String> labelNames = new HashMap<>();
    for (AppStateLog.Entry e : log.live(AppStateKey.Kind.LABEL)) {
      labelNames.put(AppStateKey.parse(e.key()).label(), e.value().getLabel().getName());
    }
    Map<String, Long> last = new LinkedHashMap<>();
    Map<String, Integer> unread = new HashMap<>();
    Map<String, Marks> marks = new HashMap<>();
    Map<String, List<String>> labelIds = new HashMap<>();
    profile.read(c -> {
      try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT chat, MAX(ts) FROM ("
                      + " SELECT 'u:' || chat_account AS chat, MAX(timestamp) AS ts FROM messages"
                      + "   WHERE group_id IS NULL AND chat_account IS NOT NULL GROUP BY chat_account"
                      + " UNION ALL SELECT 'g:' || group_id, MAX(timestamp) FROM messages"
                      + "   WHERE group_id IS NOT NULL GROUP BY group_id"
                      + " UNION ALL SELECT 'g:' || group_id, 0 FROM chat_groups WHERE member = 1"
                      + " UNION ALL SELECT chat, 0 FROM app_state WHERE chat IS NOT NULL AND value IS NOT NULL"
                      + ") GROUP BY chat");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          last.put(rs.getString(1), rs.getLong(2));
        }
      }
      try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT CASE WHEN group_id IS NULL THEN 'u:' || chat_account ELSE 'g:' || group_id END, COUNT(*)"
                      + " FROM messages WHERE outgoing = 0 AND status = 'unread' GROUP BY 1");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          unread.put(rs.getString(1), rs.getInt(2));
        }
      }
      return null;
    });
    long now = clock.millis();
    for (String token : last.keySet()) {
      for (AppStateLog.Entry e : log.liveAbout(ChatRef.parse(token))) {
        AppStateKey key = AppStateKey.parse(e.key());
        Marks m = marks.computeIfAbsent(token, t -> new Marks());
        AppStateValue v = e.value();
        switch (key.kind()) {
          case ARCHIVE -> m.archived = true;
          case PIN -> m.pinned = true;
          case UNREAD -> m.markedUnread = true;
          case MUTE -> m.mutedUntil = v.getMutedUntil() == -1 || v.getMutedUntil() > now ? v.getMutedUntil() : 0;
          case CHAT_LABEL -> {
            if (labelNames.containsKey(key.label())) {
              m.labels.add(labelNames.get(key.label()));
              labelIds.computeIfAbsent(token, t -> new ArrayList<>()).add(key.label());
            }
          }
          case ASSIGN -> m.assignedTo = v.getDeviceId();
          case NOTE -> m.notes++;
          default -> {}
        }
      }
    }
    List<ChatView> out = new ArrayList<>();
    for (Map.Entry<String, Long> chat : last.entrySet()) {
      String token = chat.getKey();
      Marks m = marks.getOrDefault(token, new Marks());
      if (m.archived != filter.archived()) {
        continue;
      }
      if (labelId != null && !labelIds.getOrDefault(token, List.of()).contains(labelId)) {
        continue;
      }
      if (filter.assignedTo() != null && m.assignedTo != filter.assignedTo()) {
        continue;
      }
      ChatRef ref = ChatRef.parse(token);
      m.labels.sort(String.CASE_INSENSITIVE_ORDER);
      out.add(
          new ChatView(
              names.chatId(ref), names.ofChat(ref), ref.isGroup(), chat.getValue(), unread.getOrDefault(token, 0),
              m.markedUnread, m.archived, m.pinned, m.mutedUntil, List.copyOf(m.labels), m.assignedTo,
              m.assignedTo == 0 ? null : names.ofDevice(m.assignedTo), m.notes));
    }
    out.sort(Comparator.comparing(ChatView::pinned).reversed().thenComparing(ChatView::lastMessage, Comparator.reverseOrder()));
    return out;
  }

  /** The account's labels by name, with how many chats and messages each is on. */
  public List<LabelView> labels() {
    List<LabelView> out = new ArrayList<>();
    for (AppStateLog.Entry e : log.live(AppStateKey.Kind.LABEL)) {
      out.add(view(AppStateKey.parse(e.key()).label(), e.value()));
    }
    out.sort(Comparator.comparing(LabelView::name, String.CASE_INSENSITIVE_ORDER));
    return out;
  }

  public Optional<LabelView> label(String id) {
    return log.get(AppStateKey.label(id)).filter(e -> !e.deleted()).map(e -> view(id, e.value()));
  }

  private LabelView view(String id, AppStateValue value) {
    return new LabelView(
        id, value.getLabel().getName(), value.getLabel().getColour(),
        log.countLive("label = ? AND kind = 'chat-label'", id),
        log.countLive("label = ? AND kind = 'message-label'", id));
  }

  List<LabelView> labelsNamed(String name) {
    return labels().stream().filter(l -> l.name().equalsIgnoreCase(name)).toList();
  }

  /** A label's id, from its id or its name (case does not matter). */
  public String labelId(String label) {
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("name a label");
    }
    if (label(label.strip()).isPresent()) {
      return label.strip();
    }
    List<LabelView> named = labelsNamed(label.strip());
    if (named.size() == 1) {
      return named.getFirst().id();
    }
    throw new ClientException(
        "NOT_FOUND",
        named.isEmpty()
            ? "there is no label '" + label + "'; see 'parley labels list'"
            : "several labels are named '" + label + "'; give its id (see 'parley labels list')",
        null);
  }

  /** A chat's notes, oldest first. */
  public List<NoteView> notes(ChatRef chat) {
    List<NoteView> out = new ArrayList<>();
    for (AppStateLog.Entry e : log.liveAbout(chat)) {
      AppStateKey key = AppStateKey.parse(e.key());
      if (key.kind() == AppStateKey.Kind.NOTE) {
        out.add(
            new NoteView(
                key.note(), names.chatId(chat), e.value().getNote().getText(), e.deviceId(),
                names.ofDevice(e.deviceId()), e.timestamp()));
      }
    }
    out.sort(Comparator.comparingLong(NoteView::timestamp).thenComparing(NoteView::id));
    return out;
  }

  /** Every number this device knows or the address book names, by number. */
  public List<ContactView> contacts() {
    Map<String, ContactView> byNumber = new java.util.TreeMap<>();
    profile.read(c -> {
      try (PreparedStatement select =
              c.prepareStatement("SELECT phone, account_id FROM accounts WHERE phone IS NOT NULL AND account_id <> ?")) {
        select.setString(1, String.valueOf(ownAccount));
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            byNumber.put(rs.getString(1), new ContactView(rs.getString(1), null, rs.getString(2)));
          }
        }
      }
      return null;
    });
    for (AppStateLog.Entry e : log.live(AppStateKey.Kind.CONTACT)) {
      String phone = AppStateKey.parse(e.key()).phone();
      ContactView known = byNumber.get(phone);
      byNumber.put(phone, new ContactView(phone, e.value().getName(), known == null ? null : known.accountId()));
    }
    return List.copyOf(byNumber.values());
  }

  /** The author of a message in a chat, if the history holds it. */
  Optional<UUID> messageAuthor(ChatRef chat, String messageId) {
    return profile.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT author_account FROM messages WHERE id = ? AND "
                  + (chat.isGroup() ? "group_id = ?" : "chat_account = ? AND group_id IS NULL")
                  + " AND status <> '" + Applier.SYSTEM + "' LIMIT 1")) {
        select.setString(1, messageId);
        select.setString(2, chat.isGroup() ? chat.group() : chat.account().toString());
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? Optional.of(UUID.fromString(rs.getString(1))) : Optional.empty();
        }
      }
    });
  }

  boolean hasMessages(ChatRef group) {
    return profile.read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT 1 FROM messages WHERE group_id = ? LIMIT 1")) {
        select.setString(1, group.group());
        try (ResultSet rs = select.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
