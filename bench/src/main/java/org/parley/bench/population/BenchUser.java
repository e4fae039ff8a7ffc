package org.parley.bench.population;

import java.util.List;
import java.util.UUID;

/** One account (a person): its primary first, then its linked companions. */
public record BenchUser(String phone, UUID account, List<BenchDevice> devices) {
  public BenchDevice primary() {
    return devices.get(0);
  }
}
