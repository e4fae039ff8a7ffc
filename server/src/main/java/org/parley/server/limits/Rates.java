package org.parley.server.limits;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Every token bucket of the server (issue 11), with defaults that a busy human or a business bot
 * never meets. Each is keyed as its comment says; the names are the option and config-file names
 * ({@code --rate-NAME BURST,REFILL/DURATION}).
 */
public record Rates(
    /* per client address: anything asked without credentials */
    Rate unauthenticatedRequests,
    /* per phone number: verification codes at once, then one per period (backing off) */
    Rate codeRequests,
    /* per phone number: verification codes in a day */
    Rate codeRequestsDaily,
    /* per phone number: guesses of a verification code, across codes */
    Rate codeGuesses,
    /* per client address: SMS sent on its behalf in a day */
    Rate smsPerAddress,
    /* per account: other accounts looked up by phone number, hits and misses alike */
    Rate lookups,
    /* per account: pre-key bundles fetched (and fetch requests, found or not) */
    Rate keyFetches,
    /* per account: link tokens */
    Rate linkTokens,
    /* per account: messages sent (a 1:1 send or a group send is one) */
    Rate messages,
    /* per account: bytes stored for others by its messages (content times copies) */
    Rate messageBytes,
    /* per account: groups created */
    Rate groupCreations,
    /* per phone number: registration-lock PINs tried */
    Rate pinGuesses) {

  public static final String UNAUTHENTICATED_REQUESTS = "unauthenticated-requests";
  public static final String CODE_REQUESTS = "code-requests";
  public static final String CODE_REQUESTS_DAILY = "code-requests-daily";
  public static final String CODE_GUESSES = "code-guesses";
  public static final String SMS_PER_ADDRESS = "sms-per-address";
  public static final String LOOKUPS = "lookups";
  public static final String KEY_FETCHES = "key-fetches";
  public static final String LINK_TOKENS = "link-tokens";
  public static final String MESSAGES = "messages";
  public static final String MESSAGE_BYTES = "message-bytes";
  public static final String GROUP_CREATIONS = "group-creations";
  public static final String PIN_GUESSES = "pin-guesses";

  private static final long MIB = 1024 * 1024;

  public static Rates defaults() {
    return new Rates(
        Rate.of(UNAUTHENTICATED_REQUESTS, 300, 1, Duration.ofSeconds(1)),
        Rate.of(CODE_REQUESTS, 3, 1, Duration.ofMinutes(10)),
        Rate.of(CODE_REQUESTS_DAILY, 10, 10, Duration.ofDays(1)),
        Rate.of(CODE_GUESSES, 10, 10, Duration.ofDays(1)),
        Rate.of(SMS_PER_ADDRESS, 100, 100, Duration.ofDays(1)),
        Rate.of(LOOKUPS, 100, 1, Duration.ofSeconds(1)),
        Rate.of(KEY_FETCHES, 1000, 10, Duration.ofSeconds(1)),
        Rate.of(LINK_TOKENS, 10, 1, Duration.ofMinutes(1)),
        Rate.of(MESSAGES, 1000, 50, Duration.ofSeconds(1)),
        Rate.of(MESSAGE_BYTES, 128 * MIB, MIB, Duration.ofSeconds(1)),
        Rate.of(GROUP_CREATIONS, 20, 20, Duration.ofHours(1)),
        Rate.of(PIN_GUESSES, 5, 1, Duration.ofMinutes(30)));
  }

  public List<Rate> all() {
    return List.of(
        unauthenticatedRequests, codeRequests, codeRequestsDaily, codeGuesses, smsPerAddress, lookups,
        keyFetches, linkTokens, messages, messageBytes, groupCreations, pinGuesses);
  }

  /** A copy with one rate replaced by name ({@code --rate-lookups 50,1/1s}). */
  public Rates with(Rate rate) {
    UnaryOperator<Rate> pick = r -> r.name().equals(rate.name()) ? rate : r;
    if (all().stream().noneMatch(r -> r.name().equals(rate.name()))) {
      throw new IllegalArgumentException("there is no rate named " + rate.name());
    }
    return new Rates(
        pick.apply(unauthenticatedRequests), pick.apply(codeRequests), pick.apply(codeRequestsDaily),
        pick.apply(codeGuesses), pick.apply(smsPerAddress), pick.apply(lookups), pick.apply(keyFetches),
        pick.apply(linkTokens), pick.apply(messages), pick.apply(messageBytes), pick.apply(groupCreations),
        pick.apply(pinGuesses));
  }

  /** A copy with one rate replaced, given in option syntax. */
  public Rates with(String name, String spec) {
    return with(Rate.parse(name, spec));
  }
}
