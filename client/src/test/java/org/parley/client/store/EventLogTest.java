package org.parley.client.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.LoggedEvent;
import org.parley.client.events.WarningEvent;
import org.parley.server.testing.MutableClock;

class EventLogTest {
  @TempDir Path dir;

  @Test
  void anEventIsLoggedOnlyIfItsTransactionCommits() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      EventLog log = new EventLog(store, Clock.systemUTC());
      assertThatThrownBy(() -> store.transaction(c -> {
            log.append(new WarningEvent("a", "rolled back"));
            throw new IllegalStateException("crash");
          }))
          .isInstanceOf(IllegalStateException.class);
      LoggedEvent kept = store.transaction(c -> log.append(new WarningEvent("b", "kept")));

      assertThat(log.after(0, 10)).singleElement().satisfies(e -> {
        assertThat(e.eventId()).isEqualTo(kept.eventId());
        assertThat(e.event()).isEqualTo(new WarningEvent("b", "kept"));
      });
    }
  }

  @Test
  void idsOnlyGrowEvenAfterOldEventsAreForgottenAndAcrossReopening() {
    Clock early = Clock.fixed(Instant.ofEpochMilli(1_000), ZoneOffset.UTC);
    long last;
    try (ProfileStore store = ProfileStore.open(dir)) {
      EventLog log = new EventLog(store, early);
      log.append(new WarningEvent("a", "1"));
      last = log.append(new WarningEvent("a", "2")).eventId();
      assertThat(log.forgetBefore(2_000)).isEqualTo(2);
      assertThat(log.lastId()).isEqualTo(last);
      assertThat(log.firstId()).isZero();
    }
    try (ProfileStore store = ProfileStore.open(dir)) {
      EventLog log = new EventLog(store, early);
      assertThat(log.append(new WarningEvent("a", "3")).eventId()).isGreaterThan(last);
      assertThat(log.after(last, 10)).extracting(e -> ((WarningEvent) e.event()).message()).containsExactly("3");
    }
  }

  @Test
  void eventsAConsumerHasNotAcknowledgedAreKeptPastTheirTime() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      EventLog log = new EventLog(store, Clock.fixed(Instant.ofEpochMilli(1_000), ZoneOffset.UTC));
      long taken = log.append(new WarningEvent("a", "taken")).eventId();
      log.append(new WarningEvent("a", "waiting"));
      assertThat(log.forgottenAfter(0)).isFalse();
      assertThat(log.forgetBefore(2_000, taken)).isEqualTo(1);
      assertThat(log.after(0, 10)).extracting(e -> ((WarningEvent) e.event()).message()).containsExactly("waiting");
      assertThat(log.forgottenAfter(0)).as("the first is gone").isTrue();
      assertThat(log.forgottenAfter(taken)).isFalse();
      assertThat(log.forgetBefore(2_000)).isEqualTo(1);
      assertThat(log.forgottenAfter(taken)).as("all gone").isTrue();
      assertThat(log.forgottenAfter(taken + 1)).isFalse();
    }
  }

  @Test
  void whatIsForgottenIsAPrefixOfTheIdsEvenWhenTheClockStepsBack() {
    // Times out of order, as a clock stepping back leaves them (or two threads that took their time
    // in one order and committed in the other): ids 1..4 at 10 s, 20 s, 5 s, 30 s.
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(10_000));
    try (ProfileStore store = ProfileStore.open(dir)) {
      EventLog log = new EventLog(store, clock);
      log.append(new WarningEvent("a", "1"));
      clock.advance(Duration.ofSeconds(10));
      log.append(new WarningEvent("a", "2"));
      clock.advance(Duration.ofSeconds(-15));
      long stepBack = log.append(new WarningEvent("a", "3")).eventId();
      clock.advance(Duration.ofSeconds(25));
      long last = log.append(new WarningEvent("a", "4")).eventId();

      assertThat(log.forgetBefore(8_000)).as("event 3 is old, and so are 1 and 2, logged before it").isEqualTo(3);
      assertThat(log.after(0, 10)).extracting(LoggedEvent::eventId).containsExactly(last);
      assertThat(log.forgottenAfter(stepBack - 1)).as("a consumer that took event 2 is told it missed 3").isTrue();
      assertThat(log.forgottenAfter(stepBack)).isFalse();

      // Again, with a consumer that has not acknowledged the old one: 5 at 30 s, 6 at 1 s, 7 at 40 s.
      long acknowledged = log.append(new WarningEvent("a", "5")).eventId();
      clock.advance(Duration.ofSeconds(-29));
      log.append(new WarningEvent("a", "6"));
      clock.advance(Duration.ofSeconds(39));
      log.append(new WarningEvent("a", "7"));
      assertThat(log.forgetBefore(2_000, acknowledged)).as("no further than acknowledged").isEqualTo(2);
      assertThat(log.after(0, 10)).extracting(e -> ((WarningEvent) e.event()).message()).containsExactly("6", "7");
    }
  }

  @Test
  void aConsumerStartedOnAnEmptyLogKeepsItsCursorAtZeroWhenStartedAgain() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      EventLog log = new EventLog(store, Clock.systemUTC());
      log.startAt("hook", log.lastId());
      long owed = log.append(new WarningEvent("a", "while away")).eventId();
      log.startAt("hook", log.lastId());
      assertThat(log.cursor("hook")).as("started before the event: still owed it").isZero();
      assertThat(log.after(log.cursor("hook"), 10)).extracting(LoggedEvent::eventId).containsExactly(owed);
      log.startAt("new", log.lastId());
      assertThat(log.cursor("new")).as("a new consumer starts at the end").isEqualTo(owed);
    }
  }

  @Test
  void cursorsMoveOnlyForwardAndAppendsWakeListeners() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      EventLog log = new EventLog(store, Clock.systemUTC());
      AtomicInteger woken = new AtomicInteger();
      log.onAppend(woken::incrementAndGet);
      assertThat(log.cursor("receive")).isZero();
      log.advance("receive", 5);
      log.advance("receive", 3);
      assertThat(log.cursor("receive")).isEqualTo(5);
      log.append(new WarningEvent("a", "b"));
      assertThat(woken).hasValue(1);
    }
  }
}
