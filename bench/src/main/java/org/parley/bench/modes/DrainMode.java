package org.parley.bench.modes;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.parley.bench.CommonOptions;
import org.parley.bench.net.WsClient;
import org.parley.bench.net.WsConnection;
import org.parley.bench.population.BenchDevice;
import org.parley.bench.population.BenchUser;
import org.parley.bench.population.KeyPool;
import org.parley.bench.population.Population;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.SendMessage;
import org.parley.protocol.wire.Status;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "drain",
    mixinStandardHelpOptions = true,
    description = {
      "A device reconnecting to a full queue: another account sends ENVELOPES messages while the"
          + " device is offline (each committed before the next round starts), then the device"
          + " connects and takes them all, acking as it reads. Timed from the start of the connect"
          + " (TCP + upgrade + authentication) to the last envelope read."
    })
public final class DrainMode implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--envelopes", defaultValue = "10000", description = "Queued envelopes (default ${DEFAULT-VALUE}).")
  int envelopes;

  @Option(names = "--payload", defaultValue = "256", description = "Ciphertext bytes per envelope (default ${DEFAULT-VALUE}).")
  int payload;

  @Option(names = "--rounds", defaultValue = "3", description = "Fill and drain this many times (default ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() throws Exception {
    return common.run(this::measure);
  }

  public Result measure(ServerHandle server, WsClient client) throws Exception {
    List<BenchUser> users = new Population(server, client, new KeyPool(2)).register(2, 1, 2);
    BenchDevice sender = users.get(0).primary();
    BenchDevice receiver = users.get(1).primary();
    WsConnection sending = client.connect("/v1/websocket?deliver=false", sender.authorization(), p -> {}).join();
    byte[] random = new byte[Math.max(0, payload - 8)];
    ThreadLocalRandom.current().nextBytes(random);
    ByteString padding = ByteString.copyFrom(random);

    List<Double> drainMs = new ArrayList<>();
    List<Double> fromOpenMs = new ArrayList<>();
    List<Double> fillPerSecond = new ArrayList<>();
    long redelivered = 0;
    for (int round = 1; round <= rounds; round++) {
      long t0 = System.nanoTime();
      fill(sending, receiver, round, padding);
      fillPerSecond.add(Result.round(envelopes / ((System.nanoTime() - t0) / 1e9)));

      Drain drain = new Drain(round, envelopes);
      long connectAt = System.nanoTime();
      WsConnection receiving = client.connect("/v1/websocket", receiver.authorization(), drain::onPush).join();
      long openAt = System.nanoTime();
      long lastAt = drain.done.get(60, TimeUnit.SECONDS);
      drainMs.add(Result.round((lastAt - connectAt) / 1e6));
      fromOpenMs.add(Result.round((lastAt - openAt) / 1e6));
      redelivered += drain.otherRounds.sum();
      // Give the last acks time to be committed before the next round fills the queue again.
      Thread.sleep(1000);
      receiving.close();
      receiving.closed().get(10, TimeUnit.SECONDS);
      System.err.printf("round %d: %d envelopes drained in %.1f ms%n", round, envelopes, drainMs.getLast());
    }
    sending.close();

    Result result = new Result("drain");
    result.put("envelopes", envelopes);
    result.put("payload_bytes", payload);
    result.put("rounds", rounds);
    result.put("drain_ms", drainMs);
    result.put("drain_ms_best", drainMs.stream().mapToDouble(Double::doubleValue).min().orElse(0));
    result.put("drain_ms_median", drainMs.stream().sorted().toList().get(drainMs.size() / 2));
    result.put("drain_after_upgrade_ms", fromOpenMs);
    result.put("drain_envelopes_per_s_best", Result.round(envelopes / (drainMs.stream().mapToDouble(Double::doubleValue).min().orElse(1) / 1000)));
    result.put("fill_envelopes_per_s", fillPerSecond);
    result.put("redelivered_from_earlier_rounds", redelivered);
    return result;
  }

  /** Sends {@code envelopes} one-envelope messages to the offline device, 200 in flight. */
  private void fill(WsConnection sending, BenchDevice receiver, int round, ByteString padding) throws InterruptedException {
    Semaphore inFlight = new Semaphore(200);
    AtomicLong refused = new AtomicLong();
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (int i = 0; i < envelopes; i++) {
      inFlight.acquire();
      ByteString content = ByteString.copyFrom(ByteBuffer.allocate(8).putInt(round).putInt(i).flip()).concat(padding);
      SendMessage.Builder send =
          SendMessage.newBuilder()
              .setTimestamp(System.currentTimeMillis())
              .addMessages(
                  OutgoingMessage.newBuilder()
                      .setDestinationAccount(receiver.accountId())
                      .setDestinationDevice(receiver.deviceId())
                      .setDestinationRegistrationId(receiver.registrationId())
                      .setType(CiphertextType.WHISPER)
                      .setContent(content));
      all.add(sending.request(Request.newBuilder().setSendMessage(send)).whenComplete((r, e) -> {
        inFlight.release();
        if (e != null || r.getStatus() != Status.OK) {
          refused.incrementAndGet();
        }
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    if (refused.get() > 0) {
      throw new IllegalStateException(refused.get() + " of the sends that fill the queue were refused");
    }
  }

  /** Counts one round's envelopes as the device reads them. */
  private static final class Drain {
    final int round;
    final int expected;
    final CompletableFuture<Long> done = new CompletableFuture<>();
    final LongAdder otherRounds = new LongAdder();
    int seen;

    Drain(int round, int expected) {
      this.round = round;
      this.expected = expected;
    }

    void onPush(Push push) {
      if (!push.hasEnvelope()) {
        return;
      }
      if (push.getEnvelope().getContent().substring(0, 4).asReadOnlyByteBuffer().getInt() != round) {
        otherRounds.increment();
        return;
      }
      if (++seen == expected) {
        done.complete(System.nanoTime());
      }
    }
  }
}
