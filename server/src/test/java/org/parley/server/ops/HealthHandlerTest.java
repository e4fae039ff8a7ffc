package org.parley.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The health endpoints as a load balancer meets them, and readiness as its checks decide it. */
class HealthHandlerTest {
  private final java.util.concurrent.ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();

  @Test
  void otherRequestsPassThroughUntouched() {
    EmbeddedChannel channel = new EmbeddedChannel(new HealthHandler(new Readiness(blocking, Duration.ofSeconds(1))));
    FullHttpRequest blob = request("/v1/blobs/abc");
    channel.writeInbound(blob);
    assertThat((Object) channel.readInbound()).isSameAs(blob);
    assertThat((Object) channel.readOutbound()).isNull();
    blob.release();
  }

  @Test
  void liveAlwaysAndReadyOnlyWhenEveryCheckPassesAndNotDraining() {
    AtomicInteger failing = new AtomicInteger();
    Readiness readiness =
        new Readiness(blocking, Duration.ofSeconds(1))
            .register("store", () -> {
              if (failing.get() > 0) {
                throw new IllegalStateException("disk full");
              }
            });

    assertThat(answer(readiness, "/health/live")).isEqualTo("200 live");
    assertThat(answer(readiness, "/health/ready")).isEqualTo("200 ready\nstore: ok");
    failing.set(1);
    assertThat(answer(readiness, "/health/ready")).isEqualTo("503 not ready\nstore: disk full");
    failing.set(0);
    readiness.draining("the server is stopping");
    assertThat(answer(readiness, "/health/ready"))
        .isEqualTo("503 not ready\ndrain: the server is stopping\nstore: ok");
    assertThat(answer(readiness, "/health/live")).isEqualTo("200 live");
  }

  @Test
  void aHungCheckAnswersWithinTheTimeoutAndIsNotStartedAgainWhileItHangs() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    Readiness readiness =
        new Readiness(blocking, Duration.ofMillis(200))
            .register("store", () -> {
              runs.incrementAndGet();
              release.await();
            });

    assertThat(answer(readiness, "/health/ready")).isEqualTo("503 not ready\nstore: no answer within 200 ms");
    assertThat(answer(readiness, "/health/ready")).isEqualTo("503 not ready\nstore: no answer within 200 ms");
    assertThat(runs).as("one probe in flight, however often it is asked").hasValue(1);

    release.countDown();
    await().atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(answer(readiness, "/health/ready")).isEqualTo("200 ready\nstore: ok"));
    assertThat(runs.get()).isGreaterThanOrEqualTo(2);
  }

  private String answer(Readiness readiness, String path) {
    EmbeddedChannel channel = new EmbeddedChannel(new HealthHandler(readiness));
    channel.writeInbound(request(path));
    FullHttpResponse response =
        await().atMost(Duration.ofSeconds(5)).until(() -> {
          channel.runPendingTasks();
          return channel.<FullHttpResponse>readOutbound();
        }, r -> r != null);
    try {
      return response.status().code() + " " + response.content().toString(StandardCharsets.UTF_8).strip();
    } finally {
      response.release();
      channel.finishAndReleaseAll();
    }
  }

  private static FullHttpRequest request(String path) {
    return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
  }
}
