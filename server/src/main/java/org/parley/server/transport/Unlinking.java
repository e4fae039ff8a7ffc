package org.parley.server.transport;

import java.time.Instant;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.Tombstone;

/** The sentence an unlinked device is told. */
public final class Unlinking {
  private Unlinking() {}

  public static String describe(Tombstone tombstone) {
    UnlinkReason reason = UnlinkReason.forNumber(tombstone.reason());
    String why =
        switch (reason == null ? UnlinkReason.UNLINK_REASON_UNSPECIFIED : reason) {
          case REMOVED_BY_PRIMARY -> "the primary device removed it";
          case PRIMARY_INACTIVE -> "the primary device was inactive for too long";
          case COMPANION_INACTIVE -> "it was inactive for too long";
          case UNLINKED_SELF -> "it unlinked itself";
          case REREGISTERED -> "the phone number was registered again on another primary device";
          default -> "it is no longer linked";
        };
    return "this device was unlinked at "
        + Instant.ofEpochMilli(tombstone.at())
        + " because "
        + why
        + "; link it again with 'parley link' or register it with 'parley register'";
  }
}
