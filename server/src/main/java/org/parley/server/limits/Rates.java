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
    /* per phone number: verification codes backing off (a growing wait between them) */
    Backoff codeRequests,
    /* per phone number: verification codes in a day */
    Rate codeRequestsDaily,
    /* per phone number: guesses of a verification code, across codes */
    Rate codeGuesses,
    /* per client address: codes (SMS) asked for on its behalf in a day, refused ones too */
    Rate smsPerAddress,
    /* per account: other accounts looked up by phone number, hits and misses alike */
    Rate lookups,
    /* per account: pre-key bundles fetched (and fetch requests, found or not) */
    Rate keyFetches,
    /* per account: link tokens, link-code claims and link-code status misses */
    Rate linkTokens,
    /* per account: provisioning messages relayed to a waiting companion */
    Rate provisioningMessages,
    /* per account: messages sent (a 1:1 send or a group send is one) */
    Rate messages,
    /* per account: bytes stored for others by its messages (content times copies) */
    Rate messageBytes,
    /* per account: groups created */
    Rate groupCreations,
    /* per phone number: registration-lock PINs tried */
    Rate pinGuesses) {

  public static final String UNAUTHENTICATED_REQUESTS = "unauthenticated-requests";
  public static final String CODE_REQUEST_BACKOFF = "code-request-backoff";
  public static final String CODE_REQUESTS_DAILY = "code-requests-daily";
  public static final String CODE_GUESSES = "code-guesses";
  public static final String SMS_PER_ADDRESS = "sms-per-address";
  public static final String LOOKUPS = "lookups";
  public static final String KEY_FETCHES = "key-fetches";
  public static final String LINK_TOKENS = "link-tokens";
  public static final String PROVISIONING_MESSAGES = "provisioning-messages";
  public static final String MESSAGES = "messages";
  public static final String MESSAGE_BYTES = "message-bytes";
  public static final String GROUP_CREATIONS = "group-creations";
  public static final String PIN_GUESSES = "pin-guesses";

  private static final long MIB = 1024 * 1024;

  public static Rates defaults() {
    return new Rates(
        Rate.of(UNAUTHENTICATED_REQUESTS, 300, 1, Duration.ofSeconds(1)),
        // 2 codes at once, then waits of 1, 2, 4 ... min (at most 4 h) between them; a day without one, or a
        // registration, starts over. With the daily cap, 10 codes take 4 h 15 min at the least.
        new Backoff(CODE_REQUEST_BACKOFF, 2, Duration.ofMinutes(1), Duration.ofHours(4), Duration.ofDays(1)),
        Rate.of(CODE_REQUESTS_DAILY, 10, 10, Duration.ofDays(1)),
        // Strictly at most 10 in any 24 h: a bucket lets through at most burst + refill-per-day in a day.
        Rate.of(CODE_GUESSES, 5, 5, Duration.ofDays(1)),
        Rate.of(SMS_PER_ADDRESS, 100, 100, Duration.ofDays(1)),
        Rate.of(LOOKUPS, 100, 1, Duration.ofSeconds(1)),
        Rate.of(KEY_FETCHES, 1000, 10, Duration.ofSeconds(1)),
        Rate.of(LINK_TOKENS, 10, 1, Duration.ofMinutes(1)),
        // One per link; a bound on how many waiting companions one account can disturb with junk.
        Rate.of(PROVISIONING_MESSAGES, 10, 1, Duration.ofMinutes(1)),
        Rate.of(MESSAGES, 1000, 50, Duration.ofSeconds(1)),
        Rate.of(MESSAGE_BYTES, 128 * MIB, MIB, Duration.ofSeconds(1)),
        Rate.of(GROUP_CREATIONS, 20, 20, Duration.ofHours(1)),
        Rate.of(PIN_GUESSES, 5, 1, Duration.ofMinutes(30)));
  }

  /** Every token bucket (the code-request back-off is not one). */
  public List<Rate> all() {
    return List.of(
        unauthenticatedRequests, codeRequestsDaily, codeGuesses, smsPerAddress, lookups,
        keyFetches, linkTokens, provisioningMessages, messages, messageBytes, groupCreations, pinGuesses);
  }

  /** A copy with one rate replaced by name ({@code --rate-lookups 50,1/1s}). */
  public Rates with(Rate rate) {
    UnaryOperator<Rate> pick = r -> r.name().equals(rate.name()) ? rate : r;
    if (all().stream().noneMatch(r -> r.name().equals(rate.name()))) {
      throw new IllegalArgumentException("there is no rate named " + rate.name());
    }
    return new Rates(
        pick.apply(unauthenticatedRequests), codeRequests, pick.apply(codeRequestsDaily),
        pick.apply(codeGuesses), pick.apply(smsPerAddress), pick.apply(lookups), pick.apply(keyFetches),
        pick.apply(linkTokens), pick.apply(provisioningMessages), pick.apply(messages), pick.apply(messageBytes), pick.apply(groupCreations),
        pick.apply(pinGuesses));
  }

  /** A copy with the code-request back-off replaced. */
  public Rates with(Backoff backoff) {
    return new Rates(
        unauthenticatedRequests, backoff, codeRequestsDaily, codeGuesses, smsPerAddress, lookups, keyFetches,
        linkTokens, provisioningMessages, messages, messageBytes, groupCreations, pinGuesses);
  }

  /** A copy with one rate (or the code-request back-off) replaced, given in option syntax. */
  public Rates with(String name, String spec) {
    return name.equals(codeRequests.name()) ? with(Backoff.parse(name, spec)) : with(Rate.parse(name, spec));
  }
}
