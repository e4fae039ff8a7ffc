package org.parley.server.devices;

import java.time.Clock;

/** The link-code contract on a lone node's memory. */
class LocalLinkCodesTest extends LinkCodesContract {
  @Override
  LinkCodes newCodes(Clock clock) {
    return new LocalLinkCodes(clock);
  }
}
