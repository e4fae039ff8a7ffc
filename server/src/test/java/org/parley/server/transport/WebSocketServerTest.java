package org.parley.server.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

class WebSocketServerTest {
  @Test
  void nettysLeakDetectorIsOffUnlessALevelIsAskedFor() {
    String asked = System.getProperty(WebSocketServer.LEAK_DETECTION_LEVEL);
    ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
    try {
      System.setProperty(WebSocketServer.LEAK_DETECTION_LEVEL, "paranoid");
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
      WebSocketServer.leakDetectionOnlyWhenAsked();
      assertThat(ResourceLeakDetector.getLevel()).as("asked for").isEqualTo(ResourceLeakDetector.Level.PARANOID);

      System.clearProperty(WebSocketServer.LEAK_DETECTION_LEVEL);
      WebSocketServer.leakDetectionOnlyWhenAsked();
      assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
    } finally {
      if (asked != null) {
        System.setProperty(WebSocketServer.LEAK_DETECTION_LEVEL, asked);
      }
      ResourceLeakDetector.setLevel(before);
    }
  }
}
