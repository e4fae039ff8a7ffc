package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.ContactNameEvent;

class ReceivingTest {
  @TempDir Path dir;

  /**
   * The loop hands on the last events of what the follower waits for and then reports it done
   * before the follower took them from its queue: the follower still hands them on.
   */
  @Test
  void eventsQueuedWhenDoneIsReportedAreStillHandedOn() {
    DeviceContext device = new DeviceContext(dir, ClientConfig.defaults());
    try {
      Receiving receiving = new Receiving(device, null, null);
      List<ClientEvent> seen = new ArrayList<>();
      boolean[] asked = {false};
      int count =
          receiving.follow(Duration.ofSeconds(30), seen::add, () -> {
            if (!asked[0]) {
              asked[0] = true;
              receiving.dispatch(new ContactNameEvent("+15550001", "a", 1, 1));
              receiving.dispatch(new ContactNameEvent("+15550002", "b", 1, 2));
            }
            return true;
          });

      assertThat(count).isEqualTo(2);
      assertThat(seen).extracting(e -> ((ContactNameEvent) e).name()).containsExactly("a", "b");
    } finally {
      device.profile.close();
    }
  }
}
