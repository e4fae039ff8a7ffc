package org.parley.server.devices;

import java.time.Clock;
import java.time.Duration;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.DeviceRecord;

/**
 * DESIGN.md §8 in numbers: a companion is unlinked when its primary has been away longer than the
 * primary window, or it has itself been away longer than the companion window. Warnings start at
 * half the window.
 */
public final class InactivityPolicy implements UnlinkWarnings {
  private final Clock clock;
  private final long primaryWindow;
  private final long companionWindow;

  public InactivityPolicy(Clock clock, Duration primaryWindow, Duration companionWindow) {
    this.clock = clock;
    this.primaryWindow = primaryWindow.toMillis();
    this.companionWindow = companionWindow.toMillis();
  }

  /** Why and when a companion will be unlinked if nothing more is seen, and from when to warn. */
  public record Deadline(UnlinkReason reason, long at, long warnFrom) {}

  public Deadline deadline(DeviceRecord companion, DeviceRecord primary) {
    long byPrimary = primary == null ? Long.MAX_VALUE : primary.lastSeen() + primaryWindow;
    long bySelf = companion.lastSeen() + companionWindow;
    return byPrimary <= bySelf
        ? new Deadline(UnlinkReason.PRIMARY_INACTIVE, byPrimary, byPrimary - primaryWindow / 2)
        : new Deadline(UnlinkReason.COMPANION_INACTIVE, bySelf, bySelf - companionWindow / 2);
  }

  /** The deadline if it is time to warn about it, else {@code null}. */
  public Deadline warning(DeviceRecord companion, DeviceRecord primary) {
    if (companion.isPrimary()) {
      return null;
    }
    Deadline deadline = deadline(companion, primary);
    return clock.millis() >= deadline.warnFrom() ? deadline : null;
  }

  @Override
  public long unlinkAt(DeviceRecord device, DeviceRecord primary) {
    Deadline warning = warning(device, primary);
    return warning == null ? 0 : warning.at();
  }

  public long primaryWindow() {
    return primaryWindow;
  }

  public long companionWindow() {
    return companionWindow;
  }
}
