package org.parley.server.limits;

import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.parley.server.cluster.RedisClients;
import org.parley.server.cluster.RedisScript;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token buckets every node of a cluster shares, in Redis: one hash per (rate, key) under {@code
 * PREFIX:rate:NAME:KEY}, taken from by one Lua script, so the read, the refill and the charge are
 * atomic however many nodes ask at once. The same arithmetic as {@link LocalRateLimiter}, with time
 * from the injected clock (nodes' clocks agree through NTP; a clock behind the bucket's last update
 * refills nothing, it never takes back). A bucket expires once it would be full again, so Redis
 * holds only the keys being limited right now. Back-offs ({@link Backoff}) likewise, one hash per
 * (back-off, key) under {@code PREFIX:backoff:NAME:KEY}, expiring after the quiet period; and since a
 * stranger asking for many keys would keep a day's worth of them, each back-off keeps at most so many
 * (the ones granted last, listed by time in the sorted set {@code PREFIX:backoffs:NAME}): past that
 * the longest quiet is forgotten, as on a lone node ({@link LocalBackoffs}).
 *
 * <p>While Redis cannot be reached, each node limits on its own ({@link LocalRateLimiter}): the
 * relay keeps working, under per-node limits, instead of refusing everything or nothing.
 */
public final class RedisRateLimiter implements RateLimiter, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);

  /** KEYS[1] bucket; ARGV burst, tokens per ms, cost, now (ms). Answers {1} or {0, missing tokens}. */
  private static final RedisScript BUCKET =
      new RedisScript(
      """
      local burst = tonumber(ARGV[1])
      local per_ms = tonumber(ARGV[2])
      local cost = tonumber(ARGV[3])
      local now = tonumber(ARGV[4])
      local bucket = redis.call('HMGET', KEYS[1], 't', 'u')
      local tokens = tonumber(bucket[1]) or burst
      local updated = tonumber(bucket[2]) or now
      if now > updated then
        tokens = math.min(burst, tokens + (now - updated) * per_ms)
        updated = now
      end
      local needed = math.min(cost, burst)
      if tokens < needed then
        return {0, string.format('%.17g', needed - tokens)}
      end
      tokens = tokens - cost
      redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%d', updated))
      redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil((burst - tokens) / per_ms) + 1000))
      return {1}
      """);

  /**
   * KEYS[1] state, KEYS[2] the back-off's states by last grant; ARGV free, first (ms), longest (ms),
   * quiet (ms), now (ms), most states kept. The arithmetic of {@link LocalBackoffs}: answers {1}
   * (counted) or {0, ms still to wait}. The state expires after the quiet period, which is also when
   * it would start over; a grant past the most kept drops the states granted longest ago.
   */
  private static final RedisScript BACKOFF =
      new RedisScript(
      """
      local free = tonumber(ARGV[1])
      local first = tonumber(ARGV[2])
      local longest = tonumber(ARGV[3])
      local quiet = tonumber(ARGV[4])
      local now = tonumber(ARGV[5])
      local state = redis.call('HMGET', KEYS[1], 'n', 'u')
      local granted = tonumber(state[1]) or 0
      local last = tonumber(state[2]) or now
      if granted > 0 and now - last >= quiet then
        granted = 0
      end
      if granted >= free and granted > 0 then
        local wait = math.min(longest, first * 2 ^ math.min(granted - free, 40))
        local elapsed = math.max(0, now - last)
        if elapsed < wait then
          return {0, string.format('%d', math.ceil(wait - elapsed))}
        end
      end
      redis.call('HSET', KEYS[1], 'n', string.format('%d', granted + 1), 'u', string.format('%d', now))
      redis.call('PEXPIRE', KEYS[1], string.format('%d', quiet))
      redis.call('ZADD', KEYS[2], now, KEYS[1])
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%d', now - quiet))
      local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[6])
      if over > 0 then
        local oldest = redis.call('ZPOPMIN', KEYS[2], over)
        for i = 1, #oldest, 2 do
          redis.call('DEL', oldest[i])
        end
      end
      redis.call('PEXPIRE', KEYS[2], string.format('%d', quiet))
      return {1}
      """);

  private final Clock clock;
  private final String prefix;
  private final String backoffPrefix;
  private final String backoffIndexPrefix;
  private final int maxBackoffKeys;
  private final StatefulRedisConnection<String, String> connection;
  private final LocalRateLimiter fallback;
  private final AtomicBoolean onOwn = new AtomicBoolean();

  /** On the node's Redis client, which the caller closes after this. */
  public RedisRateLimiter(RedisClients redis, Clock clock) {
    this(redis, clock, LocalBackoffs.DEFAULT_MAX_KEYS);
  }

  /** With at most {@code maxBackoffKeys} keys under each back-off remembered (the longest quiet go first). */
  RedisRateLimiter(RedisClients redis, Clock clock, int maxBackoffKeys) {
    this.clock = clock;
    this.prefix = redis.address().prefix() + ":rate:";
    this.backoffPrefix = redis.address().prefix() + ":backoff:";
    this.backoffIndexPrefix = redis.address().prefix() + ":backoffs:";
    this.maxBackoffKeys = maxBackoffKeys;
    this.fallback = new LocalRateLimiter(clock);
    // A take waits at most half a second for Redis, then the node limits on its own.
    this.connection = redis.connect("rate limits", Duration.ofMillis(500));
  }

  @Override
  public Verdict take(Rate rate, String key, long cost) {
    double perMs = rate.perNano() * 1_000_000d;
    String[] args = {
      Long.toString(rate.burst()), Double.toString(perMs), Long.toString(cost), Long.toString(clock.millis())
    };
    List<Object> answer;
    try {
      answer = BUCKET.run(connection.sync(), ScriptOutputType.MULTI, new String[] {prefix + rate.name() + ":" + key}, args);
    } catch (RedisException e) {
      onOwn(e);
      return fallback.take(rate, key, cost);
    }
    shared();
    if (((Long) answer.get(0)) == 1L) {
      return Verdict.ALLOWED;
    }
    double missing = Double.parseDouble((String) answer.get(1));
    // Whole milliseconds, rounded up (what a client is told), ignoring floating-point dust.
    long millis = (long) Math.ceil(missing / perMs - 1e-6);
    return Verdict.refused(Duration.ofMillis(Math.max(1, millis)));
  }

  @Override
  public Verdict backOff(Backoff backoff, String key) {
    String[] args = {
      Integer.toString(backoff.free()), Long.toString(backoff.first().toMillis()),
      Long.toString(backoff.longest().toMillis()), Long.toString(backoff.quiet().toMillis()),
      Long.toString(clock.millis()), Integer.toString(maxBackoffKeys)
    };
    String[] keys = {backoffPrefix + backoff.name() + ":" + key, backoffIndexPrefix + backoff.name()};
    List<Object> answer;
    try {
      answer = BACKOFF.run(connection.sync(), ScriptOutputType.MULTI, keys, args);
    } catch (RedisException e) {
      onOwn(e);
      return fallback.backOff(backoff, key);
    }
    shared();
    if (((Long) answer.get(0)) == 1L) {
      return Verdict.ALLOWED;
    }
    return Verdict.refused(Duration.ofMillis(Long.parseLong((String) answer.get(1))));
  }

  @Override
  public void reset(Backoff backoff, String key) {
    fallback.reset(backoff, key);
    try {
      String state = backoffPrefix + backoff.name() + ":" + key;
      connection.sync().del(state);
      connection.sync().zrem(backoffIndexPrefix + backoff.name(), state);
    } catch (RedisException e) {
      // Not fatal: the state expires after the back-off's quiet period anyway.
      onOwn(e);
    }
  }

  private void onOwn(RedisException e) {
    if (onOwn.compareAndSet(false, true)) {
      log.warn("Redis unreachable for rate limits ({}); this node limits on its own until it is back", e.getMessage());
    }
  }

  private void shared() {
    if (onOwn.compareAndSet(true, false)) {
      log.info("Redis reachable again; rate limits are shared by the nodes again");
    }
  }

  @Override
  public void close() {
    connection.close();
  }
}
