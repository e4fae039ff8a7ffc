package org.parley.server.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.parley.protocol.wire.Status;
import org.parley.server.store.Queues;
import org.parley.server.transport.Session;

/**
 * The relay's meters, in one Prometheus registry owned by the running server. Every meter is created
 * here once, with its tags fixed, so counting on the hot path is an increment of an adder: no tag
 * lists, no strings, no lookups per call.
 */
public final class ServerMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Counter committed;
  private final Counter delivered;
  private final Counter acked;
  private final Counter read;
  private final Timer commitLatency;
  private final Map<Status, Counter> refusals = new EnumMap<>(Status.class);
  private final Map<Session.Kind, AtomicLong> connections = new EnumMap<>(Session.Kind.class);

  public ServerMetrics() {
    committed =
        Counter.builder("parley.envelopes.committed")
            .description("Envelopes committed durably to device queues")
            .register(registry);
    delivered =
        Counter.builder("parley.envelopes.delivered")
            .description("Envelopes pushed to connected devices (again after a reconnect)")
            .register(registry);
    acked =
        Counter.builder("parley.envelopes.acked")
            .description("Envelopes acked by their device after its own commit, and so deleted")
            .register(registry);
    read =
        Counter.builder("parley.envelopes.read")
            .description("Envelopes read from device queues to be pushed (in flight ones too when a queue is read again)")
            .register(registry);
    commitLatency =
        Timer.builder("parley.commit.latency")
            .description("From handing a send's envelopes to the store to their durable commit")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);
    for (Status status : Status.values()) {
      if (status != Status.OK && status != Status.UNRECOGNIZED) {
        refusals.put(
            status,
            Counter.builder("parley.requests.refused")
                .description("Requests answered with an error, by status")
                .tag("status", status.name())
                .register(registry));
      }
    }
    for (Session.Kind kind : Session.Kind.values()) {
      AtomicLong open = new AtomicLong();
      connections.put(kind, open);
      Gauge.builder("parley.connections", open, AtomicLong::get)
          .description("Open WebSocket connections, by kind")
          .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry);
    }
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /** For subsystems that add meters of their own (rate limits, the cluster). */
  public MeterRegistry registry() {
    return registry;
  }

  /** The queues, counted: commits and their latency, acks, reads. */
  public Queues instrument(Queues queues) {
    Gauge.builder("parley.queue.depth", queues, Queues::totalLength)
        .description("Envelopes waiting in every device queue")
        .register(registry);
    return new MeteredQueues(queues, committed, acked, read, commitLatency);
  }

  public Counter delivered() {
    return delivered;
  }

  /** Counts an answer that was not OK. */
  public void refused(Status status) {
    Counter counter = refusals.get(status);
    if (counter != null) {
      counter.increment();
    }
  }

  public void opened(Session.Kind kind) {
    connections.get(kind).incrementAndGet();
  }

  public void closed(Session.Kind kind) {
    connections.get(kind).decrementAndGet();
  }

  /** Writes every meter in Prometheus' text format. */
  public void scrape(OutputStream out) throws IOException {
    registry.scrape(out);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
