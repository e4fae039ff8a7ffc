package org.parley.server.cluster;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * A Lua script Redis runs atomically, sent once and then run by its digest ({@code EVALSHA}); sent
 * again when Redis has forgotten it (a restart, a {@code SCRIPT FLUSH}).
 */
public final class RedisScript {
  private static final String[] NO_KEYS = new String[0];

  private final String text;
  private volatile String sha;

  public RedisScript(String text) {
    this.text = text;
  }

  /** Runs the script with {@code args} and no keys. */
  public <T> T run(RedisCommands<String, String> commands, ScriptOutputType type, String... args) {
    return run(commands, type, NO_KEYS, args);
  }

  public <T> T run(RedisCommands<String, String> commands, ScriptOutputType type, String[] keys, String... args) {
    String digest = sha;
    if (digest == null) {
      digest = sha = commands.scriptLoad(text);
    }
    try {
      return commands.evalsha(digest, type, keys, args);
    } catch (RedisNoScriptException e) {
      sha = commands.scriptLoad(text);
      return commands.evalsha(sha, type, keys, args);
    }
  }
}
