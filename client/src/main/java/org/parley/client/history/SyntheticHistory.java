package org.parley.client.history;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.UUID;
import org.parley.client.store.ProfileStore;

/**
 * Fills a profile with a made-up history, for the history-sync benchmark and tests: a busy year of
 * a small business is 100,000 messages across 200 chats. Written straight into the store, in one
 * transaction, so seeding takes a fraction of what a real year of receiving would.
 *
 * <p>The messages go in one by one in random key order, as a year of receiving puts them, so the
 * table and its indexes end up laid out as a real primary's are (half-empty pages spread over the
 * file), which is what an export reads. Only SQLite's page cache is raised meanwhile: at its
 * default 2 MB every insert past the first few thousand spills pages, and seeding 1,000,000
 * messages took eight minutes.
 */
public final class SyntheticHistory {
  private static final String[] WORDS = {
    "order", "invoice", "delivery", "tomorrow", "thanks", "price", "the", "a", "is", "ready", "can", "you",
    "send", "please", "meeting", "at", "ten", "confirmed", "great", "see", "soon", "pickup", "shop", "open",
    "closed", "monday", "friday", "paid", "receipt", "box", "two", "three", "ok", "yes", "no", "call", "me"
  };
  private static final String[] OUTGOING = {"sent", "delivered", "read"};
  private static final String[] INCOMING = {"unread", "read"};
  /** The page cache while seeding: enough for a million messages and their indexes. */
  private static final int SEED_CACHE_KIB = 512 * 1024;
  /** SQLite's own default (-2000: about 2 MB), which the profile runs with. */
  private static final int DEFAULT_CACHE_PAGES = -2000;

  private SyntheticHistory() {}

  /**
   * Adds {@code messages} messages across {@code chats} new contacts (phones +1555200xxxx), with
   * timestamps spread over the {@code spanMillis} before {@code newest}, about half sent by the
   * owner. The same seed gives the same history.
   */
  public static void seed(
      ProfileStore store, UUID owner, int messages, int chats, long newest, long spanMillis, long seed) {
    Random random = new Random(seed);
    UUID[] contacts = new UUID[chats];
    for (int i = 0; i < chats; i++) {
      contacts[i] = new UUID(random.nextLong(), random.nextLong());
    }
    cacheSize(store, -SEED_CACHE_KIB);
    try {
      store.transaction(c -> {
        insert(c, owner, messages, chats, newest, spanMillis, random, contacts);
        return null;
      });
    } finally {
      cacheSize(store, DEFAULT_CACHE_PAGES);
    }
  }

  private static void cacheSize(ProfileStore store, int size) {
    store.read(c -> {
      try (Statement pragma = c.createStatement()) {
        pragma.execute("PRAGMA cache_size = " + size);
      }
      return null;
    });
  }

  private static void insert(
      Connection c, UUID owner, int messages, int chats, long newest, long spanMillis, Random random, UUID[] contacts)
      throws SQLException {
    try (PreparedStatement account =
        c.prepareStatement("INSERT OR IGNORE INTO accounts (account_id, phone) VALUES (?, ?)")) {
      for (int i = 0; i < chats; i++) {
        account.setString(1, contacts[i].toString());
        account.setString(2, String.format("+1555200%04d", i));
        account.addBatch();
      }
      account.executeBatch();
    }
    try (PreparedStatement message =
        c.prepareStatement(
            "INSERT OR IGNORE INTO messages (author_account, id, author_device, chat_account, group_id, outgoing,"
                + " body, timestamp, server_timestamp, status) VALUES (?,?,?,?,NULL,?,?,?,?,?)")) {
      for (int i = 0; i < messages; i++) {
        // a skewed spread: some chats are far busier than others, as in life
        UUID chat = contacts[(int) (chats * Math.pow(random.nextDouble(), 2))];
        boolean outgoing = random.nextBoolean();
        long timestamp = newest - (long) (random.nextDouble() * spanMillis);
        message.setString(1, (outgoing ? owner : chat).toString());
        message.setString(2, new UUID(random.nextLong(), random.nextLong()).toString());
        message.setInt(3, outgoing ? 1 + random.nextInt(2) : 1);
        message.setString(4, chat.toString());
        message.setInt(5, outgoing ? 1 : 0);
        message.setString(6, body(random));
        message.setLong(7, timestamp);
        message.setLong(8, timestamp + random.nextInt(2000));
        message.setString(9, outgoing ? OUTGOING[random.nextInt(3)] : INCOMING[random.nextInt(2)]);
        message.addBatch();
        if (i % 10_000 == 9_999) {
          message.executeBatch();
        }
      }
      message.executeBatch();
    }
  }

  private static String body(Random random) {
    int words = 2 + random.nextInt(12);
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        body.append(' ');
      }
      body.append(WORDS[random.nextInt(WORDS.length)]);
    }
    if (random.nextInt(4) == 0) {
      body.append(' ').append(random.nextInt(100_000));
    }
    return body.toString();
  }
}
