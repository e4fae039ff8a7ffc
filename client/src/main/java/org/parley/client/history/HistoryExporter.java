package org.parley.client.history;

import com.google.protobuf.ByteString;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.appstate.AppStateLog;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.history.BundleFormat;
import org.parley.protocol.history.BundleWriter;
import org.parley.protocol.wire.HistoryChat;
import org.parley.protocol.wire.HistoryContact;
import org.parley.protocol.wire.HistoryGroup;
import org.parley.protocol.wire.HistoryHeader;
import org.parley.protocol.wire.HistoryMessage;
import org.parley.protocol.wire.HistoryRecord;
import org.parley.protocol.wire.HistorySync;

/**
 * Exports this account's history for a newly linked companion (docs/PROTOCOL.md §9): contacts, chats and
 * the messages of the last {@code days} days, both directions. Two bundles: a small first one with
 * the contacts, every chat and the latest messages of the most recent chats, so the companion is
 * usable at once; then the rest, in the table's key order (see {@link #writeRest}).
 *
 * <p>Run it after the companion is on the signed device list: from then on every new message reaches
 * the companion directly, so a message arriving while the export runs is either in a bundle or
 * delivered live, and importing both adds it once. The profile is locked one chat (first bundle) or
 * one page of messages (second) at a time, so receiving goes on meanwhile.
 */
public final class HistoryExporter {
  public static final int DEFAULT_DAYS = 365;
  /** What the first bundle holds: the latest messages of this many of the most recent chats. */
  static final int FIRST_CHATS = 20;
  static final int FIRST_MESSAGES_PER_CHAT = 50;

  private static final String MESSAGE_COLUMNS =
      "author_account, id, author_device, chat_account, group_id, outgoing, body, timestamp, server_timestamp, status";

  private final ProfileStore store;
  private final UUID account;
  private final Clock clock;
  private final Path workDirectory;

  /** @param workDirectory where bundles are written before they are uploaded */
  public HistoryExporter(ProfileStore store, UUID account, Clock clock, Path workDirectory) {
    this.store = store;
    this.account = account;
    this.clock = clock;
    this.workDirectory = workDirectory;
  }

  /** A bundle written to a file, and its announcement lacking only the blob id. */
  public record Bundle(Path file, HistorySync announcement) {}

  /**
   * Writes the bundles, uploads them and returns their announcements, in order, for the caller to
   * send to the companion end-to-end (a sync message to the own account). The files are removed.
   */
  public List<HistorySync> export(ServerConnection server, BlobTransfer blobs, int targetDevice, int days) {
    List<Bundle> bundles = write(targetDevice, days);
    try {
      List<HistorySync> announcements = new ArrayList<>();
      for (Bundle bundle : bundles) {
        HistoryPhase phase = HistoryPhase.begin("upload", bundle.announcement().getPart());
        String blobId = blobs.upload(server, bundle.file());
        phase.end(bundle.announcement().getRecordCount(), bundle.announcement().getSize());
        announcements.add(bundle.announcement().toBuilder().setBlobId(blobId).build());
      }
      return announcements;
    } finally {
      bundles.forEach(b -> deleteQuietly(b.file()));
    }
  }

  /** Writes the bundles into the work directory (one or two: the second only if there is more). */
  public List<Bundle> write(int targetDevice, int days) {
    if (days <= 0) {
      throw new ClientException("history to export must cover at least one day, not " + days);
    }
    long since = clock.millis() - Duration.ofDays(days).toMillis();
    HistoryPhase first = HistoryPhase.begin("export", 0);
    List<Chat> chats = chats(since);
    List<Bundle> bundles = new ArrayList<>();
    try {
      Files.createDirectories(workDirectory);
      bundles.add(writeFirst(targetDevice, since, chats));
      first.end(bundles.getFirst().announcement().getRecordCount(), bundles.getFirst().announcement().getSize());
      HistoryPhase phase = HistoryPhase.begin("export", 1);
      Bundle rest = writeRest(targetDevice, since, chats);
      phase.end(rest.announcement().getRecordCount(), rest.announcement().getSize());
      if (rest.announcement().getRecordCount() > 0) {
        bundles.add(rest);
      } else {
        deleteQuietly(rest.file());
      }
    } catch (IOException | RuntimeException e) {
      bundles.forEach(b -> deleteQuietly(b.file()));
      throw e instanceof ClientException client
          ? client
          : new ClientException("could not write the history export in " + workDirectory + ": " + e.getMessage(), e);
    }
    Bundle last = bundles.getLast();
    bundles.set(bundles.size() - 1, new Bundle(last.file(), last.announcement().toBuilder().setLastPart(true).build()));
    return bundles;
  }

  /**
   * A chat as of the export's start.
   *
   * @param firstCut the first bundle holds this chat's messages from this timestamp on (Long.MAX_VALUE: none)
   */
  private record Chat(String account, String group, long last, long count, long firstCut) {
    /**
     * The messages of this chat, as FROM and WHERE. The index is named: without statistics SQLite
     * may take the other one, and scanning every message once per chat is slower by orders.
     */
    String messages() {
      if (group != null) {
        return "messages INDEXED BY messages_by_group WHERE group_id = ? AND chat_account IS ?";
      }
      if (account != null) {
        return "messages INDEXED BY messages_by_chat WHERE chat_account = ? AND group_id IS NULL";
      }
      return "messages WHERE chat_account IS NULL AND group_id IS NULL";
    }

    /** Binds the chat's key to {@link #messages()}; returns the next parameter's index. */
    int bind(PreparedStatement statement) throws SQLException {
      if (group != null) {
        statement.setString(1, group);
        statement.setString(2, account);
        return 3;
      }
      if (account != null) {
        statement.setString(1, account);
        return 2;
      }
      return 1;
    }
  }

  private Bundle writeFirst(int targetDevice, long since, List<Chat> chats) throws IOException {
    try (Writing writing = new Writing(0, targetDevice, since)) {
      for (HistoryContact contact : contacts()) {
        writing.record(HistoryRecord.newBuilder().setContact(contact).build());
      }
      for (HistoryGroup group : groups()) {
        writing.record(HistoryRecord.newBuilder().setGroup(group).build());
      }
      appState(writing);
      for (Chat chat : chats) {
        HistoryChat.Builder record =
            HistoryChat.newBuilder().setLastTimestamp(chat.last()).setMessageCount(chat.count());
        if (chat.account() != null) {
          record.setAccountId(chat.account());
        }
        if (chat.group() != null) {
          record.setGroupId(chat.group());
        }
        writing.record(HistoryRecord.newBuilder().setChat(record).build());
      }
      for (Chat chat : chats) {
        if (chat.firstCut() != Long.MAX_VALUE) {
          messages(writing, chat, chat.firstCut(), Long.MAX_VALUE);
        }
      }
      return writing.finish();
    }
  }

  /**
   * The second bundle: every message of the window that the first one does not hold, in the table's
   * key order rather than chat by chat. That order reads the table front to back (no index lookup
   * per message) and lets the companion append to its own table instead of inserting at random
   * places; the companion imports a bundle in one transaction, so the order within it shows nowhere.
   */
  private Bundle writeRest(int targetDevice, long since, List<Chat> chats) throws IOException {
    java.util.Map<ChatKey, Long> cuts = new java.util.HashMap<>();
    for (Chat chat : chats) {
      if (chat.firstCut() != Long.MAX_VALUE) {
        cuts.put(new ChatKey(chat.account(), chat.group()), chat.firstCut());
      }
    }
    try (Writing writing = new Writing(1, targetDevice, since)) {
      KeyOrderPages pages = new KeyOrderPages(since);
      while (pages.next(writing, cuts)) {
        // each page holds the profile's lock only while it is read, so receiving goes on between pages
      }
      return writing.finish();
    }
  }

  private record ChatKey(String account, String group) {}

  /**
   * The window's messages in key order, a page at a time, each with its attachment pointers (a
   * join, not a query per message).
   */
  private final class KeyOrderPages {
    static final int PAGE_MESSAGES = 4096;
    private static final String PAGE =
        "SELECT m.author_account, m.id, m.author_device, m.chat_account, m.group_id, m.outgoing, m.body, m.timestamp,"
            + " m.server_timestamp, m.status, a.pointer FROM (SELECT " + MESSAGE_COLUMNS + " FROM messages"
            + " WHERE %s timestamp >= ? ORDER BY author_account, id LIMIT " + PAGE_MESSAGES + ") m"
            + " LEFT JOIN attachments a ON a.author_account = m.author_account AND a.message_id = m.id"
            + " ORDER BY m.author_account, m.id, a.position";
    private static final String FIRST_PAGE = String.format(PAGE, "");
    private static final String NEXT_PAGE = String.format(PAGE, "(author_account, id) > (?, ?) AND");

    private final long since;
    private String lastAuthor;
    private String lastId;

    KeyOrderPages(long since) {
      this.since = since;
    }

    /** Writes the next page's messages that the first bundle does not hold; false once none are left. */
    boolean next(Writing writing, java.util.Map<ChatKey, Long> cuts) throws IOException {
      try {
        return store.read(c -> {
          try (PreparedStatement select = c.prepareStatement(lastAuthor == null ? FIRST_PAGE : NEXT_PAGE)) {
            int next = 1;
            if (lastAuthor != null) {
              select.setString(next++, lastAuthor);
              select.setString(next++, lastId);
            }
            select.setLong(next, since);
            try (ResultSet rs = select.executeQuery()) {
              return page(rs, writing, cuts);
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }

    private boolean page(ResultSet rs, Writing writing, java.util.Map<ChatKey, Long> cuts) throws SQLException, IOException {
      int messages = 0;
      HistoryMessage.Builder pending = null;
      while (rs.next()) {
        String author = rs.getString(1);
        String id = rs.getString(2);
        if (pending != null && author.equals(lastAuthor) && id.equals(lastId)) {
          addPointer(pending, rs.getBytes(11));
          continue;
        }
        write(writing, pending, cuts);
        messages++;
        lastAuthor = author;
        lastId = id;
        pending = messageBuilder(rs);
        addPointer(pending, rs.getBytes(11));
      }
      write(writing, pending, cuts);
      return messages == PAGE_MESSAGES;
    }

    private static void write(Writing writing, HistoryMessage.Builder message, java.util.Map<ChatKey, Long> cuts)
        throws IOException {
      if (message == null) {
        return;
      }
      Long cut = cuts.get(new ChatKey(emptyToNull(message.getChatAccount()), emptyToNull(message.getGroupId())));
      if (cut == null || message.getTimestamp() < cut) {
        writing.message(message.build());
      }
    }
  }

  private static String emptyToNull(String value) {
    return value.isEmpty() ? null : value;
  }

  /** A pointer from the join (null: the message has none); a damaged one is left out, the message still goes. */
  private static void addPointer(HistoryMessage.Builder message, byte[] pointer) {
    if (pointer == null) {
      return;
    }
    try {
      message.addAttachments(org.parley.protocol.wire.AttachmentPointer.parseFrom(pointer));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      // left out, as in withAttachments
    }
  }

  /** Chats with messages since the window's start, most recent first. */
  private List<Chat> chats(long since) {
    return store.read(c -> {
      List<Chat> chats = new ArrayList<>();
      // One pass over the table in its own order. The unary + keeps SQLite off messages_by_chat, which
      // lacks group_id: walking it costs a table lookup per message (at 1,000,000 messages, 5-7 s
      // instead of about 1).
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT chat_account, group_id, MAX(timestamp) AS last, COUNT(*) FROM messages WHERE +timestamp >= ?"
                  + " GROUP BY +chat_account, +group_id ORDER BY last DESC")) {
        select.setLong(1, since);
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            chats.add(new Chat(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), Long.MAX_VALUE));
          }
        }
      }
      for (int i = 0; i < Math.min(FIRST_CHATS, chats.size()); i++) {
        Chat chat = chats.get(i);
        chats.set(i, new Chat(chat.account(), chat.group(), chat.last(), chat.count(), firstCut(c, chat, since)));
      }
      return chats;
    });
  }

  /**
   * The timestamp of the chat's FIRST_MESSAGES_PER_CHAT-th latest message: the first bundle takes
   * everything from there on (all of a tie), the second everything before.
   */
  private static long firstCut(Connection c, Chat chat, long since) throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT timestamp FROM " + chat.messages() + " AND timestamp >= ? ORDER BY timestamp DESC LIMIT 1 OFFSET ?")) {
      int next = chat.bind(select);
      select.setLong(next, since);
      select.setInt(next + 1, FIRST_MESSAGES_PER_CHAT - 1);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? rs.getLong(1) : since;
      }
    }
  }

  private List<HistoryContact> contacts() {
    return store.read(c -> {
      List<HistoryContact> contacts = new ArrayList<>();
      try (PreparedStatement select =
              c.prepareStatement("SELECT account_id, phone FROM accounts WHERE phone IS NOT NULL ORDER BY account_id");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          contacts.add(HistoryContact.newBuilder().setAccountId(rs.getString(1)).setPhone(rs.getString(2)).build());
        }
      }
      return contacts;
    });
  }

  /**
   * The groups this account is in, with their members, so a companion can send to them at once.
   * Sender keys are not exported: each device has its own and hands it out when it first sends.
   */
  private List<HistoryGroup> groups() {
    return store.read(c -> {
      java.util.Map<String, HistoryGroup.Builder> groups = new java.util.LinkedHashMap<>();
      try (PreparedStatement select =
              c.prepareStatement("SELECT group_id, name, version FROM chat_groups WHERE member = 1 ORDER BY group_id");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          groups.put(
              rs.getString(1),
              HistoryGroup.newBuilder().setGroupId(rs.getString(1)).setName(rs.getString(2)).setVersion(rs.getLong(3)));
        }
      }
      try (PreparedStatement select =
              c.prepareStatement("SELECT group_id, account_id, admin FROM group_members ORDER BY group_id, position");
          ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          HistoryGroup.Builder group = groups.get(rs.getString(1));
          if (group != null) {
            group.addMemberAccounts(rs.getString(2));
            if (rs.getInt(3) == 1) {
              group.addAdminAccounts(rs.getString(2));
            }
          }
        }
      }
      return groups.values().stream().map(HistoryGroup.Builder::build).toList();
    });
  }

  /**
   * The account's app state (docs/PROTOCOL.md §13), every entry with its version, deletions too, so the
   * companion merges what reaches it live afterwards exactly as the other devices do. Streamed row
   * by row.
   */
  private void appState(Writing writing) throws IOException {
    try {
      store.read(c -> {
        try {
          return new AppStateLog(store).export(c, m -> writing.record(HistoryRecord.newBuilder().setAppState(m).build()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Appends a chat's messages with timestamps in [from, until), newest first. */
  private void messages(Writing writing, Chat chat, long from, long until) throws IOException {
    try {
      store.read(c -> {
        try (PreparedStatement select =
            c.prepareStatement(
                "SELECT " + MESSAGE_COLUMNS + " FROM " + chat.messages()
                    + " AND timestamp >= ? AND timestamp < ? ORDER BY timestamp DESC")) {
          int next = chat.bind(select);
          select.setLong(next, from);
          select.setLong(next + 1, until);
          try (ResultSet rs = select.executeQuery();
              PreparedStatement attachments =
                  c.prepareStatement(
                      "SELECT pointer FROM attachments WHERE author_account = ? AND message_id = ? ORDER BY position")) {
            while (rs.next()) {
              writing.message(withAttachments(attachments, message(rs)));
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        return null;
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** The message's attachment pointers, so the companion can fetch those the server still holds. */
  private static HistoryMessage withAttachments(PreparedStatement select, HistoryMessage message) throws SQLException {
    select.setString(1, message.getAuthorAccount());
    select.setString(2, message.getId());
    try (ResultSet rs = select.executeQuery()) {
      if (!rs.next()) {
        return message;
      }
      HistoryMessage.Builder builder = message.toBuilder();
      do {
        try {
          builder.addAttachments(org.parley.protocol.wire.AttachmentPointer.parseFrom(rs.getBytes(1)));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          // A damaged pointer is left out; the message still goes.
        }
      } while (rs.next());
      return builder.build();
    }
  }

  private static HistoryMessage message(ResultSet rs) throws SQLException {
    return messageBuilder(rs).build();
  }

  private static HistoryMessage.Builder messageBuilder(ResultSet rs) throws SQLException {
    HistoryMessage.Builder message =
        HistoryMessage.newBuilder()
            .setAuthorAccount(rs.getString(1))
            .setId(rs.getString(2))
            .setAuthorDevice(rs.getInt(3))
            .setOutgoing(rs.getInt(6) == 1)
            .setBody(rs.getString(7))
            .setTimestamp(rs.getLong(8))
            .setServerTimestamp(rs.getLong(9))
            .setStatus(Statuses.toBundle(rs.getString(10)));
    if (rs.getString(4) != null) {
      message.setChatAccount(rs.getString(4));
    }
    if (rs.getString(5) != null) {
      message.setGroupId(rs.getString(5));
    }
    return message;
  }

  /** One bundle being written: its file, its writer, and the time range of its messages. */
  private final class Writing implements AutoCloseable {
    private final int part;
    private final int targetDevice;
    private final byte[] key = BundleFormat.newKey();
    private final Path file;
    private final BundleWriter writer;
    private long from = Long.MAX_VALUE;
    private long to;
    private boolean finished;

    Writing(int part, int targetDevice, long since) throws IOException {
      this.part = part;
      this.targetDevice = targetDevice;
      this.file = Files.createTempFile(workDirectory, "export-" + part + "-", ".bundle");
      OutputStream out = Files.newOutputStream(file);
      HistoryHeader header = HistoryHeader.newBuilder().setAccountId(account.toString()).setPart(part).setSince(since).build();
      BundleWriter opened;
      try {
        opened = new BundleWriter(new BufferedOutputStream(out, 64 * 1024), key, header);
      } catch (IOException | RuntimeException e) {
        out.close();
        deleteQuietly(file);
        throw e;
      }
      this.writer = opened;
    }

    void record(HistoryRecord record) throws IOException {
      writer.write(record);
    }

    void message(HistoryMessage message) throws IOException {
      from = Math.min(from, message.getTimestamp());
      to = Math.max(to, message.getTimestamp());
      writer.write(HistoryRecord.newBuilder().setMessage(message).build());
    }

    Bundle finish() throws IOException {
      BundleWriter.Sealed sealed = writer.finish();
      finished = true;
      HistorySync announcement =
          HistorySync.newBuilder()
              .setKey(ByteString.copyFrom(key))
              .setSha256(ByteString.copyFrom(sealed.sha256()))
              .setSize(sealed.size())
              .setRecordCount(sealed.records())
              .setFromTimestamp(from == Long.MAX_VALUE ? 0 : from)
              .setToTimestamp(to)
              .setPart(part)
              .setTargetDevice(targetDevice)
              .build();
      return new Bundle(file, announcement);
    }

    /** After {@link #finish} nothing is left to do; before it, the bundle is abandoned and removed. */
    @Override
    public void close() throws IOException {
      if (!finished) {
        try {
          writer.close();
        } finally {
          deleteQuietly(file);
        }
      }
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // a leftover temporary file is harmless
    }
  }
}
