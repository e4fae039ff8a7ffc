package org.parley.client.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.EventJson;
import org.parley.client.events.LoggedEvent;

/**
 * The profile's event log (README.md, daemon): every event the device produces, numbered. An event is
 * appended inside the transaction that caused it (the message it announces, the unlink it reports),
 * so it is logged exactly when that is committed: a crash loses or duplicates neither. Consumers
 * read "everything after the last id I saw"; named consumers keep that id here as a cursor.
 */
public final class EventLog {
  private final ProfileStore store;
  private final Clock clock;
  private final EventJson json = new EventJson();
  private final List<Runnable> appended = new CopyOnWriteArrayList<>();
  private volatile UnaryOperator<ClientEvent> naming = UnaryOperator.identity();

  public EventLog(ProfileStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Calls {@code wakeUp} after every append. It may run before the appending transaction commits:
   * a reader then waits on the profile's lock and sees the event once it is committed (or not at
   * all, if it was rolled back). So {@code wakeUp} must only signal another thread, never read the
   * log itself: on the appending thread it would see what is not committed yet.
   */
  public void onAppend(Runnable wakeUp) {
    appended.add(wakeUp);
  }

  public void removeOnAppend(Runnable wakeUp) {
    appended.remove(wakeUp);
  }

  /**
   * Puts names on events as they are logged: the address book's name of a message's other party
   * (app state, docs/PROTOCOL.md §13). Everything that reads the log (receive, the daemon) shows them.
   */
  public void naming(UnaryOperator<ClientEvent> namer) {
    this.naming = namer;
  }

  /** Appends an event, joining the caller's transaction if one is open. */
  public LoggedEvent append(ClientEvent unnamed) {
    ClientEvent event = naming.apply(unnamed);
    long now = clock.millis();
    String body = json.write(event);
    long id =
        store.transaction(c -> {
          try (PreparedStatement insert =
              c.prepareStatement("INSERT INTO events (type, at, body) VALUES (?, ?, ?)")) {
            insert.setString(1, event.type());
            insert.setLong(2, now);
            insert.setString(3, body);
            insert.executeUpdate();
          }
          try (PreparedStatement last = c.prepareStatement("SELECT last_insert_rowid()");
              ResultSet rs = last.executeQuery()) {
            rs.next();
            return rs.getLong(1);
          }
        });
    appended.forEach(Runnable::run);
    return new LoggedEvent(id, now, event);
  }

  /** Up to {@code limit} events after {@code eventId}, oldest first. */
  public List<LoggedEvent> after(long eventId, int limit) {
    return store.read(c -> {
      try (PreparedStatement select =
          c.prepareStatement("SELECT event_id, at, body FROM events WHERE event_id > ? ORDER BY event_id LIMIT ?")) {
        select.setLong(1, eventId);
        select.setInt(2, limit);
        List<LoggedEvent> out = new ArrayList<>();
        try (ResultSet rs = select.executeQuery()) {
          while (rs.next()) {
            out.add(new LoggedEvent(rs.getLong(1), rs.getLong(2), json.read(rs.getString(3))));
          }
        }
        return out;
      }
    });
  }

  /** The id of the newest event ever logged (0 if none), even if it has been forgotten since. */
  public long lastId() {
    return store.read(c -> {
      try (PreparedStatement select =
              c.prepareStatement("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
          ResultSet rs = select.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    });
  }

  /** The id of the oldest event still kept, or 0 if the log is empty. */
  public long firstId() {
    return store.read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT MIN(event_id) FROM events");
          ResultSet rs = select.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    });
  }

  /**
   * Whether some events after {@code eventId} are no longer kept (forgotten as too old): a consumer
   * coming back from there is told it missed them. Ids are handed out without holes, and only
   * {@link #forgetBefore} removes events, always a prefix of the ids.
   */
  public boolean forgottenAfter(long eventId) {
    long last = lastId();
    if (eventId >= last) {
      return false;
    }
    long first = firstId();
    return first == 0 || first > eventId + 1;
  }

  /** How far a named consumer has read (0: nothing yet). */
  public long cursor(String consumer) {
    return store.read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT event_id FROM event_cursors WHERE consumer = ?")) {
        select.setString(1, consumer);
        try (ResultSet rs = select.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      }
    });
  }

  /**
   * Places a consumer that has no cursor yet at {@code eventId}; one that has a cursor keeps it,
   * even at 0: that consumer started on an empty log and has taken nothing since, so everything
   * logged after it is still owed to it (a restart must not skip it).
   */
  public void startAt(String consumer, long eventId) {
    store.transaction(c -> {
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO event_cursors (consumer, event_id) VALUES (?, ?) ON CONFLICT (consumer) DO NOTHING")) {
        insert.setString(1, consumer);
        insert.setLong(2, eventId);
        return insert.executeUpdate();
      }
    });
  }

  /** Moves a named consumer's cursor forward to {@code eventId}; never back. */
  public void advance(String consumer, long eventId) {
    store.transaction(c -> {
      try (PreparedStatement upsert =
          c.prepareStatement(
              "INSERT INTO event_cursors (consumer, event_id) VALUES (?, ?) ON CONFLICT (consumer)"
                  + " DO UPDATE SET event_id = MAX(event_id, excluded.event_id)")) {
        upsert.setString(1, consumer);
        upsert.setLong(2, eventId);
        return upsert.executeUpdate();
      }
    });
  }

  /** Forgets events logged before {@code time}; returns how many. Ids are never handed out again. */
  public int forgetBefore(long time) {
    return forgetBefore(time, Long.MAX_VALUE);
  }

  /**
   * Forgets events logged before {@code time}, but none after {@code acknowledged}: a consumer that
   * must get every event (the daemon's webhook) has not taken those yet. Returns how many.
   *
   * <p>What goes is always a prefix of the ids: everything up to the newest event logged before
   * {@code time}. Times need not grow with ids (the clock may step back; two threads may take their
   * time in one order and commit in the other), and deleting by time alone could take an event from
   * the middle, which {@link #forgottenAfter} would not see as a gap. An event with a later time but
   * an older id than one that goes was in truth logged before it, so it is at least as old.
   */
  public int forgetBefore(long time, long acknowledged) {
    return store.transaction(c -> {
      try (PreparedStatement delete =
          c.prepareStatement(
              "DELETE FROM events WHERE event_id <= MIN(?, (SELECT MAX(event_id) FROM events WHERE at < ?))")) {
        delete.setLong(1, acknowledged);
        delete.setLong(2, time);
        return delete.executeUpdate();
      }
    });
  }
}
