package org.parley.cli.commands;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.parley.cli.Durations;
import org.parley.cli.Sizes;
import org.parley.server.Limits;
import org.parley.server.limits.Backoff;
import org.parley.server.limits.Rate;
import org.parley.server.limits.Rates;
import picocli.CommandLine.Option;

/**
 * The server's rate limits, connection caps and trusted proxies (issue 11): a mixin of {@code
 * parley server}. One option per token bucket, named after it ({@code --rate-lookups 100,1/1s}).
 */
public final class LimitOptions {
  @Option(
      names = "--rate-unauthenticated-requests",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Requests without credentials per client address (default: ${DEFAULT-VALUE}).")
  String rateUnauthenticatedRequests = Rates.defaults().unauthenticatedRequests().spec();

  @Option(
      names = "--code-request-backoff",
      paramLabel = "FREE,FIRST,LONGEST,QUIET",
      description =
          "Verification codes per phone number: FREE at once, then waits of FIRST, twice that ... up to LONGEST"
              + " between them; a registration or QUIET without a code starts over (default: ${DEFAULT-VALUE}).")
  String codeRequestBackoff = Rates.defaults().codeRequests().spec();

  @Option(
      names = "--rate-code-requests-daily",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Verification codes per phone number in a day (default: ${DEFAULT-VALUE}).")
  String rateCodeRequestsDaily = Rates.defaults().codeRequestsDaily().spec();

  @Option(
      names = "--rate-code-guesses",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Verification attempts per phone number, across codes (default: ${DEFAULT-VALUE}).")
  String rateCodeGuesses = Rates.defaults().codeGuesses().spec();

  @Option(
      names = "--rate-sms-per-address",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Verification codes sent per client address (default: ${DEFAULT-VALUE}).")
  String rateSmsPerAddress = Rates.defaults().smsPerAddress().spec();

  @Option(
      names = "--rate-lookups",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Other accounts looked up by phone number, per account (hits and misses) (default: ${DEFAULT-VALUE}).")
  String rateLookups = Rates.defaults().lookups().spec();

  @Option(
      names = "--rate-key-fetches",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Pre-key bundles and device lists fetched, per account (default: ${DEFAULT-VALUE}).")
  String rateKeyFetches = Rates.defaults().keyFetches().spec();

  @Option(
      names = "--rate-link-tokens",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Link tokens per account (default: ${DEFAULT-VALUE}).")
  String rateLinkTokens = Rates.defaults().linkTokens().spec();

  @Option(
      names = "--rate-provisioning-messages",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Provisioning messages relayed to waiting new devices, per account (default: ${DEFAULT-VALUE}).")
  String rateProvisioningMessages = Rates.defaults().provisioningMessages().spec();

  @Option(
      names = "--rate-messages",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Messages sent per account (default: ${DEFAULT-VALUE}).")
  String rateMessages = Rates.defaults().messages().spec();

  @Option(
      names = "--rate-message-bytes",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Bytes stored for others by an account's messages (size times copies) (default: ${DEFAULT-VALUE}).")
  String rateMessageBytes = Rates.defaults().messageBytes().spec();

  @Option(
      names = "--rate-group-creations",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Groups created per account (default: ${DEFAULT-VALUE}).")
  String rateGroupCreations = Rates.defaults().groupCreations().spec();

  @Option(
      names = "--rate-pin-guesses",
      paramLabel = "BURST,REFILL/DURATION",
      description = "Registration-lock PINs tried per phone number (default: ${DEFAULT-VALUE}).")
  String ratePinGuesses = Rates.defaults().pinGuesses().spec();

  @Option(names = "--no-rate-limits", description = "Apply no rate limit at all (only to measure what they cost).")
  boolean noRateLimits;

  @Option(
      names = "--max-queue-bytes",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description = "Bytes of envelopes waiting for one device (default: 256MiB).")
  long maxQueueBytes = Limits.defaults().maxQueueBytes();

  @Option(
      names = "--max-unwritten-bytes",
      paramLabel = "SIZE",
      converter = Sizes.class,
      description = "Output waiting for a slow reader before its connection stops reading requests (default: 1MiB).")
  long maxUnwrittenBytes = Limits.defaults().maxUnwrittenBytes();

  @Option(
      names = "--max-connections",
      paramLabel = "N",
      description = "Connections at once (default: the open-files limit less a reserve).")
  int maxConnections;

  @Option(
      names = "--max-unauthenticated-connections",
      paramLabel = "N",
      description = "Connections without a device's credentials at once; past it one from the most crowded address is closed (default: half of --max-connections).")
  int maxUnauthenticatedConnections;

  @Option(
      names = "--max-unauthenticated-per-address",
      paramLabel = "N",
      description = "Connections without credentials from one client address (IPv6: one /64) (default: ${DEFAULT-VALUE}).")
  int maxUnauthenticatedPerAddress = Limits.defaults().maxUnauthenticatedPerAddress();

  @Option(
      names = "--unauthenticated-timeout",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "Close a connection that has not shown a device's credentials after this long (default: 10s).")
  Duration unauthenticatedTimeout = Limits.defaults().unauthenticatedTimeout();

  @Option(
      names = "--trusted-proxy",
      paramLabel = "CIDR",
      split = ",",
      description = "A reverse proxy (e.g. 10.0.0.0/8, ::1/128) whose PROXY protocol header or X-Forwarded-For names the client address; repeatable. From other peers both are ignored.")
  List<String> trustedProxies = new ArrayList<>();

  boolean rateLimits() {
    return !noRateLimits;
  }

  List<String> trustedProxies() {
    return trustedProxies;
  }

  /** The limits these options say, on top of the defaults; refuses what cannot work. */
  Limits limits() {
    Rates rates = Rates.defaults();
    rates = rates.with(Rate.parse(Rates.UNAUTHENTICATED_REQUESTS, rateUnauthenticatedRequests));
    rates = rates.with(Backoff.parse(Rates.CODE_REQUEST_BACKOFF, codeRequestBackoff));
    rates = rates.with(Rate.parse(Rates.CODE_REQUESTS_DAILY, rateCodeRequestsDaily));
    rates = rates.with(Rate.parse(Rates.CODE_GUESSES, rateCodeGuesses));
    rates = rates.with(Rate.parse(Rates.SMS_PER_ADDRESS, rateSmsPerAddress));
    rates = rates.with(Rate.parse(Rates.LOOKUPS, rateLookups));
    rates = rates.with(Rate.parse(Rates.KEY_FETCHES, rateKeyFetches));
    rates = rates.with(Rate.parse(Rates.LINK_TOKENS, rateLinkTokens));
    rates = rates.with(Rate.parse(Rates.PROVISIONING_MESSAGES, rateProvisioningMessages));
    rates = rates.with(Rate.parse(Rates.MESSAGES, rateMessages));
    rates = rates.with(Rate.parse(Rates.MESSAGE_BYTES, rateMessageBytes));
    rates = rates.with(Rate.parse(Rates.GROUP_CREATIONS, rateGroupCreations));
    rates = rates.with(Rate.parse(Rates.PIN_GUESSES, ratePinGuesses));
    if (maxQueueBytes < 1 || maxUnwrittenBytes < 1024 || maxUnwrittenBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--max-queue-bytes must be positive and --max-unwritten-bytes at least 1KiB");
    }
    for (String cidr : trustedProxies) {
      org.parley.server.transport.ClientAddresses.parseCidr(cidr);
    }
    return Limits.defaults().toBuilder()
        .rates(rates)
        .maxQueueBytes(maxQueueBytes)
        .maxUnwrittenBytes((int) maxUnwrittenBytes)
        .maxConnections(maxConnections)
        .maxUnauthenticatedConnections(maxUnauthenticatedConnections)
        .maxUnauthenticatedPerAddress(maxUnauthenticatedPerAddress)
        .unauthenticatedTimeout(unauthenticatedTimeout)
        .build();
  }
}
