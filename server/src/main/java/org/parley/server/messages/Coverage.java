package org.parley.server.messages;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.parley.protocol.wire.AccountMismatch;
import org.parley.protocol.wire.DeviceMismatch;
import org.parley.protocol.wire.Status;
import org.parley.server.store.DeviceRecord;
import org.parley.server.transport.ApiException;

/**
 * Whether a send covers exactly the current devices of an account (DESIGN.md §5): every device
 * addressed or declined, none that is gone, and each addressed one with its current registration id.
 */
final class Coverage {
  private Coverage() {}

  /**
   * @param current the account's devices now (without the sender's own device)
   * @param addressed device id → registration id the sender encrypted for
   * @param declined devices the sender refuses to encrypt to
   * @return the mismatch, or {@code null} when the send covers the account exactly
   */
  static AccountMismatch check(
      String accountId,
      Collection<DeviceRecord> current,
      Map<Integer, Integer> addressed,
      Set<Integer> declined) {
    Set<Integer> missing = new TreeSet<>();
    List<Integer> stale = new ArrayList<>();
    Set<Integer> extra = new TreeSet<>(addressed.keySet());
    extra.addAll(declined);
    for (DeviceRecord device : current) {
      int id = device.deviceId();
      extra.remove(id);
      Integer registrationId = addressed.get(id);
      if (registrationId == null) {
        if (!declined.contains(id)) {
          missing.add(id);
        }
      } else if (registrationId != device.registrationId()) {
        stale.add(id);
      }
    }
    if (missing.isEmpty() && extra.isEmpty() && stale.isEmpty()) {
      return null;
    }
    return AccountMismatch.newBuilder()
        .setAccountId(accountId)
        .addAllMissing(missing)
        .addAllExtra(extra)
        .addAllStale(stale)
        .build();
  }

  /**
   * The refusal of a send that does not cover its accounts exactly: STALE_DEVICES when only
   * registration ids are out of date (refresh sessions), MISMATCHED_DEVICES otherwise (refresh lists).
   */
  static ApiException refusal(List<AccountMismatch> mismatches) {
    boolean onlyStale =
        mismatches.stream().allMatch(m -> m.getMissingCount() == 0 && m.getExtraCount() == 0);
    DeviceMismatch body = DeviceMismatch.newBuilder().addAllAccounts(mismatches).build();
    return new ApiException(
        onlyStale ? Status.STALE_DEVICES : Status.MISMATCHED_DEVICES,
        onlyStale
            ? "some devices were registered again; refresh their sessions and send again"
            : "the devices addressed are not the current devices of the accounts (or the group's members);"
                + " refresh and send again",
        response -> response.setMismatch(body));
  }
}
