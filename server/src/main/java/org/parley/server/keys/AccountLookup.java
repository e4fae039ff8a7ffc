package org.parley.server.keys;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.parley.server.limits.Rates;
import org.parley.server.limits.Throttle;
import org.parley.server.store.Account;
import org.parley.server.store.Accounts;
import org.parley.server.transport.ApiException;
import org.parley.server.transport.Session;

/**
 * Finding other accounts by phone number, counted against the asker's lookup budget before the
 * answer is known, so hits and misses cost the same and numbers cannot be enumerated quickly. An
 * account id cannot be guessed; lookups by id are left to the callers' own budgets (key fetches).
 */
public final class AccountLookup {
  private final Accounts accounts;
  private final Throttle throttle;
  private final Rates rates;

  public AccountLookup(Accounts accounts, Throttle throttle, Rates rates) {
    this.accounts = accounts;
    this.throttle = throttle;
    this.rates = rates;
  }

  /** The account a request names by id or by number. */
  public Account find(Session session, String accountId, String phone) throws ApiException {
    if (accountId.isEmpty() && !phone.isEmpty()) {
      charge(session, phone.equals(session.phone()) ? 0 : 1);
    }
    return KeyService.resolve(accounts, accountId, phone);
  }

  /** The accounts of several numbers (group members), each counted as one lookup. */
  public List<UUID> findAll(Session session, List<String> phones) throws ApiException {
    charge(session, phones.stream().filter(p -> !p.equals(session.phone())).count());
    List<UUID> out = new ArrayList<>(phones.size());
    for (String phone : phones) {
      out.add(KeyService.resolve(accounts, "", phone).id());
    }
    return out;
  }

  private void charge(Session session, long lookups) throws ApiException {
    if (lookups > 0) {
      throttle.take(
          rates.lookups(), session.address().account().toString(), lookups, "accounts looked up by phone number");
    }
  }
}
