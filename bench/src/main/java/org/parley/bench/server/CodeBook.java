package org.parley.bench.server;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Verification codes read from the console SMS sender's lines, matched to whoever waits for them. */
final class CodeBook {
  private static final Pattern LINE = Pattern.compile("verification code for (\\+[0-9]+): ([0-9]+)");

  private final Map<String, CompletableFuture<String>> codes = new ConcurrentHashMap<>();

  /** Returns true if the line was a code. */
  boolean offer(String line) {
    Matcher m = LINE.matcher(line);
    if (!m.find()) {
      return false;
    }
    codes.computeIfAbsent(m.group(1), p -> new CompletableFuture<>()).complete(m.group(2));
    return true;
  }

  CompletableFuture<String> code(String phone) {
    return codes.computeIfAbsent(phone, p -> new CompletableFuture<>())
        .whenComplete((code, failure) -> codes.remove(phone));
  }
}
