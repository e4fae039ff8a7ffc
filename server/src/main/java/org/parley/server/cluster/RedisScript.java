package org.parley.server.cluster;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script Redis runs atomically, by its digest ({@code EVALSHA}); sent ({@code SCRIPT LOAD})
 * only when that Redis does not have it yet or has forgotten it (a restart, a {@code SCRIPT FLUSH}).
 * The digest is the one Redis names a script by, the SHA-1 of its text, so a script holds no state
 * and one instance serves any number of connections and Redis servers.
 */
public final class RedisScript {
  private static final String[] NO_KEYS = new String[0];

  private final String text;
  private final String sha;

  public RedisScript(String text) {
    this.text = text;
    try {
      this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  /** Runs the script with {@code args} and no keys. */
  public <T> T run(RedisCommands<String, String> commands, ScriptOutputType type, String... args) {
    return run(commands, type, NO_KEYS, args);
  }

  public <T> T run(RedisCommands<String, String> commands, ScriptOutputType type, String[] keys, String... args) {
    try {
      return commands.evalsha(sha, type, keys, args);
    } catch (RedisNoScriptException e) {
      commands.scriptLoad(text);
      return commands.evalsha(sha, type, keys, args);
    }
  }
}
