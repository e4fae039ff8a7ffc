package org.parley.client.history;

import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Random;
import java.util.UUID;
import org.parley.client.store.ProfileStore;

/**
 * Fills a profile with a made-up history, for the history-sync benchmark and tests: a busy year of
 * a small business is 100,000 messages across 200 chats. Written straight into the store, in one
 * transaction, so seeding takes a fraction of what a real year of receiving would: the messages go
 * to a scratch table first and then into {@code messages} sorted by its key, with the other indexes
 * built afterwards ({@link MessageIndexes}), since random ids inserted one by one make a million
 * messages take minutes.
 */
public final class SyntheticHistory {
  private static final String[] WORDS = {
    "order", "invoice", "delivery", "tomorrow", "thanks", "price", "the", "a", "is", "ready", "can", "you",
    "send", "please", "meeting", "at", "ten", "confirmed", "great", "see", "soon", "pickup", "shop", "open",
    "closed", "monday", "friday", "paid", "receipt", "box", "two", "three", "ok", "yes", "no", "call", "me"
  };
  private static final String[] OUTGOING = {"sent", "delivered", "read"};
  private static final String[] INCOMING = {"unread", "read"};
  private static final String COLUMNS =
      "author_account, id, author_device, chat_account, group_id, outgoing, body, timestamp, server_timestamp, status";

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
    MessageIndexes.withoutIndexes(store, c -> {
      try (PreparedStatement account =
          c.prepareStatement("INSERT OR IGNORE INTO accounts (account_id, phone) VALUES (?, ?)")) {
        for (int i = 0; i < chats; i++) {
          account.setString(1, contacts[i].toString());
          account.setString(2, String.format("+1555200%04d", i));
          account.addBatch();
        }
        account.executeBatch();
      }
      try (Statement scratch = c.createStatement()) {
        scratch.execute("DROP TABLE IF EXISTS temp.seeded");
        scratch.execute("CREATE TEMP TABLE seeded AS SELECT " + COLUMNS + " FROM messages WHERE 0");
      }
      try (PreparedStatement message =
          c.prepareStatement("INSERT INTO temp.seeded (" + COLUMNS + ") VALUES (?,?,?,?,NULL,?,?,?,?,?)")) {
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
          message.executeUpdate();
        }
      }
      try (Statement move = c.createStatement()) {
        move.execute(
            "INSERT OR IGNORE INTO messages (" + COLUMNS + ") SELECT " + COLUMNS
                + " FROM temp.seeded ORDER BY author_account, id");
        move.execute("DROP TABLE temp.seeded");
      }
      return null;
    });
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
