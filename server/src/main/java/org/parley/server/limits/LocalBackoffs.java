package org.parley.server.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.server.limits.RateLimiter.Verdict;

/**
 * The in-process {@link Backoff} state: per (back-off, key) how many requests were granted and when
 * the last was. Entries are kept in the order of their last grant, so the ones quiet for long enough
 * to be forgotten are always at the head, and past {@code maxKeys} the longest-quiet is dropped:
 * memory stays bounded under a flood of distinct numbers (at the price of starting the oldest over).
 * Code requests are rare, so one lock is enough.
 */
final class LocalBackoffs {
  static final int DEFAULT_MAX_KEYS = 100_000;

  private final Clock clock;
  private final int maxKeys;
  private final LinkedHashMap<StateKey, State> states = new LinkedHashMap<>();

  private record StateKey(Backoff backoff, String key) {}

  private record State(long granted, long lastMillis) {}

  LocalBackoffs(Clock clock, int maxKeys) {
    this.clock = clock;
    this.maxKeys = maxKeys;
  }

  synchronized Verdict attempt(Backoff backoff, String key) {
    long now = clock.millis();
    forgetQuiet(now);
    StateKey id = new StateKey(backoff, key);
    State state = states.get(id);
    long granted = state == null || now - state.lastMillis() >= backoff.quiet().toMillis() ? 0 : state.granted();
    if (granted > 0) {
      // A clock that went back counts as no time passed: it never shortens the wait.
      long elapsed = Math.max(0, now - state.lastMillis());
      long wait = backoff.waitAfter(granted).toMillis();
      if (elapsed < wait) {
        return Verdict.refused(Duration.ofMillis(wait - elapsed));
      }
    }
    states.remove(id); // re-inserted at the tail: the map stays in order of the last grant
    states.put(id, new State(granted + 1, now));
    while (states.size() > maxKeys) {
      Iterator<StateKey> oldest = states.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
    return Verdict.ALLOWED;
  }

  synchronized void reset(Backoff backoff, String key) {
    states.remove(new StateKey(backoff, key));
  }

  synchronized int size() {
    return states.size();
  }

  private void forgetQuiet(long now) {
    Iterator<Map.Entry<StateKey, State>> it = states.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<StateKey, State> oldest = it.next();
      if (now - oldest.getValue().lastMillis() < oldest.getKey().backoff().quiet().toMillis()) {
        return;
      }
      it.remove();
    }
  }
}
