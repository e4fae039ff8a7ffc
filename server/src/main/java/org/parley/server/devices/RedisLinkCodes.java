package org.parley.server.devices;

import com.google.protobuf.ByteString;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.parley.protocol.wire.DeviceKind;
import org.parley.protocol.wire.Status;
import org.parley.server.cluster.RedisClients;
import org.parley.server.cluster.RedisScript;
import org.parley.server.limits.Throttle;
import org.parley.server.transport.ApiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The link codes the nodes of a cluster share, in their Redis: a primary on any node claims the
 * code a companion shows on another. Each step that checks and changes is one Lua script, so the
 * bounds (one code per socket, so many per client and in all, a slot once) and the claim count
 * hold however many nodes ask at once. Keys, under {@code PREFIX:link:}: {@code code:SLOT} (a
 * hash: the socket, the client, the blob, name, kind, expiry, claims, wrong), {@code claimers:SLOT}
 * (a set), {@code socket:ADDRESS} ("EXPIRY:SLOT"), and the live slots by expiry in {@code all} and
 * {@code client:CLIENT} (sorted sets). Expiry is decided by the injected clock, as on a lone node;
 * Redis's own expiry only clears what nobody asks for any more, a minute after.
 *
 * <p>Without Redis a companion cannot show a code nor a primary claim one: they are refused as
 * UNAVAILABLE with a wait, and the QR code still works.
 */
public final class RedisLinkCodes implements LinkCodes {
  private static final Logger log = LoggerFactory.getLogger(RedisLinkCodes.class);
  private static final long CLEAR_AFTER_MS = TTL.plusMinutes(1).toMillis();

  /** ARGV prefix, address, client, slot, wrapped, name, kind, now, expiry, per client, in all, clear after. */
  private final RedisScript registering = new RedisScript(
      """
      local p, address, client, slot = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
      local now, clear = tonumber(ARGV[8]), tonumber(ARGV[12])
      local all, mine = p .. 'all', p .. 'client:' .. client
      local socket, code = p .. 'socket:' .. address, p .. 'code:' .. slot
      redis.call('ZREMRANGEBYSCORE', all, '-inf', '(' .. ARGV[8])
      redis.call('ZREMRANGEBYSCORE', mine, '-inf', '(' .. ARGV[8])
      local shown = redis.call('GET', socket)
      if shown and tonumber(string.match(shown, '^(%d+):')) >= now then
        return {'socket'}
      end
      if redis.call('ZCARD', mine) >= tonumber(ARGV[10]) then
        return {'client', redis.call('ZRANGE', mine, 0, 0, 'WITHSCORES')[2]}
      end
      if redis.call('ZCARD', all) >= tonumber(ARGV[11]) then
        return {'server', redis.call('ZRANGE', all, 0, 0, 'WITHSCORES')[2]}
      end
      local taken = redis.call('HGET', code, 'exp')
      if taken and tonumber(taken) >= now then
        return {'slot'}
      end
      redis.call('DEL', code, p .. 'claimers:' .. slot)
      redis.call('HSET', code, 'address', address, 'client', client, 'wrapped', ARGV[5], 'name', ARGV[6],
        'kind', ARGV[7], 'exp', ARGV[9], 'claims', '0', 'wrong', '0')
      redis.call('PEXPIRE', code, clear)
      redis.call('SET', socket, ARGV[9] .. ':' .. slot, 'PX', clear)
      redis.call('ZADD', all, ARGV[9], slot)
      redis.call('PEXPIRE', all, clear)
      redis.call('ZADD', mine, ARGV[9], slot)
      redis.call('PEXPIRE', mine, clear)
      return {'ok'}
      """);

  /** ARGV prefix, slot, account, now, most claims, clear after. */
  private final RedisScript claiming = new RedisScript(
      """
      local p, slot = ARGV[1], ARGV[2]
      local code, claimers = p .. 'code:' .. slot, p .. 'claimers:' .. slot
      local c = redis.call('HMGET', code, 'exp', 'claims', 'address', 'client', 'wrapped', 'name', 'kind')
      if not c[1] then
        return {'unknown'}
      end
      if tonumber(c[1]) < tonumber(ARGV[4]) then
        redis.call('DEL', code, claimers)
        redis.call('ZREM', p .. 'all', slot)
        redis.call('ZREM', p .. 'client:' .. c[4], slot)
        local socket = p .. 'socket:' .. c[3]
        if redis.call('GET', socket) == c[1] .. ':' .. slot then
          redis.call('DEL', socket)
        end
        return {'expired'}
      end
      if tonumber(c[2]) >= tonumber(ARGV[5]) then
        return {'used up'}
      end
      local claims = redis.call('HINCRBY', code, 'claims', 1)
      redis.call('SADD', claimers, ARGV[3])
      redis.call('PEXPIRE', claimers, tonumber(ARGV[6]))
      return {'ok', tostring(claims), c[3], c[4], c[5], c[6], c[7], c[1]}
      """);

  /** ARGV prefix, address. */
  private final RedisScript countingWrong = new RedisScript(
      """
      local p, address = ARGV[1], ARGV[2]
      local shown = redis.call('GET', p .. 'socket:' .. address)
      if not shown then
        return 0
      end
      local code = p .. 'code:' .. string.match(shown, ':(.*)$')
      if redis.call('HGET', code, 'address') == address then
        redis.call('HINCRBY', code, 'wrong', 1)
      end
      return 1
      """);

  /** ARGV prefix, address. */
  private final RedisScript forgetting = new RedisScript(
      """
      local p, address = ARGV[1], ARGV[2]
      local socket = p .. 'socket:' .. address
      local shown = redis.call('GET', socket)
      if not shown then
        return 0
      end
      redis.call('DEL', socket)
      local slot = string.match(shown, ':(.*)$')
      local code = p .. 'code:' .. slot
      local c = redis.call('HMGET', code, 'address', 'client')
      if c[1] == address then
        redis.call('DEL', code, p .. 'claimers:' .. slot)
        redis.call('ZREM', p .. 'all', slot)
        redis.call('ZREM', p .. 'client:' .. c[2], slot)
      end
      return 1
      """);

  private final Clock clock;
  private final String prefix;
  private final StatefulRedisConnection<String, String> connection;

  /** On the node's Redis client, which the caller closes after this. */
  public RedisLinkCodes(RedisClients redis, Clock clock) {
    this.clock = clock;
    this.prefix = redis.address().prefix() + ":link:";
    // A step waits at most half a second for Redis, then the request is refused for now.
    this.connection = redis.connect("link codes", Duration.ofMillis(500));
  }

  @Override
  public Code register(String address, String client, String slot, ByteString wrapped, String name, DeviceKind kind)
      throws ApiException {
    LinkCodes.checkInput(slot, wrapped, name);
    long now = clock.millis();
    long expiresAt = now + TTL.toMillis();
    List<Object> answer =
        shared(registering,
            prefix, address, client, slot, Base64.getEncoder().encodeToString(wrapped.toByteArray()), name,
            Integer.toString(kind.getNumber()), Long.toString(now), Long.toString(expiresAt),
            Integer.toString(MAX_CODES_PER_CLIENT), Integer.toString(MAX_CODES), Long.toString(CLEAR_AFTER_MS));
    return switch ((String) answer.get(0)) {
      case "ok" -> new Code(address, client, slot, wrapped, name, kind, expiresAt);
      case "socket" -> throw LinkCodes.socketShowsOne();
      case "client" -> throw LinkCodes.clientFull(LinkCodes.until(score(answer.get(1)), now));
      case "server" -> throw LinkCodes.serverFull(LinkCodes.until(score(answer.get(1)), now));
      default -> throw LinkCodes.slotTaken();
    };
  }

  @Override
  public Claim claim(String slot, String account) throws ApiException {
    List<Object> answer =
        shared(claiming,
            prefix, slot, account, Long.toString(clock.millis()), Integer.toString(MAX_ATTEMPTS),
            Long.toString(CLEAR_AFTER_MS));
    return switch ((String) answer.get(0)) {
      case "ok" -> new Claim(
          new Code(
              (String) answer.get(2), (String) answer.get(3), slot,
              ByteString.copyFrom(Base64.getDecoder().decode((String) answer.get(4))), (String) answer.get(5),
              kind((String) answer.get(6)), Long.parseLong((String) answer.get(7))),
          Integer.parseInt((String) answer.get(1)));
      case "expired" -> throw LinkCodes.expired();
      case "used up" -> throw LinkCodes.usedUp();
      default -> throw LinkCodes.unknown();
    };
  }

  @Override
  public void wrong(String address) {
    try {
      countingWrong.run(connection.sync(), ScriptOutputType.INTEGER, prefix, address);
    } catch (RedisException e) {
      log.warn("Redis unreachable; a wrong link code attempt at {} is not counted ({})", address, e.getMessage());
    }
  }

  @Override
  public Progress status(String slot, String account) throws ApiException {
    try {
      RedisCommands<String, String> commands = connection.sync();
      List<io.lettuce.core.KeyValue<String, String>> counts = commands.hmget(prefix + "code:" + slot, "wrong", "claims");
      if (!counts.get(0).hasValue() || !commands.sismember(prefix + "claimers:" + slot, account)) {
        throw LinkCodes.unknown();
      }
      return new Progress(
          Integer.parseInt(counts.get(0).getValue()), MAX_ATTEMPTS - Integer.parseInt(counts.get(1).getValue()));
    } catch (RedisException e) {
      throw unavailable(e);
    }
  }

  @Override
  public long expiresAt(String address) {
    try {
      String shown = connection.sync().get(prefix + "socket:" + address);
      return shown == null ? 0 : Long.parseLong(shown.substring(0, shown.indexOf(':')));
    } catch (RedisException e) {
      // Asked only once the QR code's time is up: without Redis the socket closes then, at most a
      // code's 180 s early (the new device shows a new one), rather than stay open while Redis is away.
      log.warn("Redis unreachable; closing provisioning socket {} without waiting for its code ({})", address, e.getMessage());
      return 0;
    }
  }

  @Override
  public void forget(String address) {
    try {
      forgetting.run(connection.sync(), ScriptOutputType.INTEGER, prefix, address);
    } catch (RedisException e) {
      // The code stays claimable until it expires; a claim then reaches a socket that is gone.
      log.warn("Redis unreachable; the link code of closed socket {} expires on its own ({})", address, e.getMessage());
    }
  }

  @Override
  public Code held(String slot) {
    Map<String, String> fields = connection.sync().hgetall(prefix + "code:" + slot);
    if (fields.isEmpty()) {
      return null;
    }
    return new Code(
        fields.get("address"), fields.get("client"), slot,
        ByteString.copyFrom(Base64.getDecoder().decode(fields.get("wrapped"))), fields.get("name"),
        kind(fields.get("kind")), Long.parseLong(fields.get("exp")));
  }

  @Override
  public void substitute(String slot, ByteString wrapped) {
    connection.sync().hset(prefix + "code:" + slot, "wrapped", Base64.getEncoder().encodeToString(wrapped.toByteArray()));
  }

  @Override
  public void close() {
    connection.close();
  }

  private List<Object> shared(RedisScript script, String... args) throws ApiException {
    try {
      return script.run(connection.sync(), ScriptOutputType.MULTI, args);
    } catch (RedisException e) {
      throw unavailable(e);
    }
  }

  private static ApiException unavailable(RedisException e) {
    log.warn("Redis unreachable for link codes ({})", e.getMessage());
    return Throttle.refusal(
        Status.UNAVAILABLE, "the server cannot reach its other nodes right now; link codes wait for them",
        Duration.ofSeconds(5));
  }

  /** A sorted-set score (an expiry in ms), as Redis writes it. */
  private static long score(Object text) {
    return (long) Double.parseDouble((String) text);
  }

  private static DeviceKind kind(String number) {
    DeviceKind kind = DeviceKind.forNumber(Integer.parseInt(number));
    return kind == null ? DeviceKind.UNRECOGNIZED : kind;
  }
}
