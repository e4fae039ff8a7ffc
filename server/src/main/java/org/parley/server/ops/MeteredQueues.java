package org.parley.server.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.Queues;

/**
 * The queues, counted on their way through: whatever the store (SQLite or PostgreSQL), a commit is
 * timed from submission to durability and counted only once durable, an ack only once deleted, and
 * every envelope a read brings back (reading more than is delivered is work spent on nothing).
 */
final class MeteredQueues implements Queues {
  private final Queues queues;
  private final Counter committed;
  private final Counter acked;
  private final Counter read;
  private final Timer commitLatency;

  MeteredQueues(Queues queues, Counter committed, Counter acked, Counter read, Timer commitLatency) {
    this.queues = queues;
    this.committed = committed;
    this.acked = acked;
    this.read = read;
    this.commitLatency = commitLatency;
  }

  @Override
  public CompletableFuture<List<QueuedEnvelope>> append(List<NewEnvelope> envelopes) {
    long start = System.nanoTime();
    CompletableFuture<List<QueuedEnvelope>> commit = queues.append(envelopes);
    commit.whenComplete(
        (stored, failure) -> {
          if (stored != null) {
            commitLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            committed.increment(stored.size());
          }
        });
    return commit;
  }

  @Override
  public List<QueuedEnvelope> read(DeviceAddress device, long afterSeq, int limit) {
    List<QueuedEnvelope> found = queues.read(device, afterSeq, limit);
    read.increment(found.size());
    return found;
  }

  @Override
  public CompletableFuture<Void> delete(DeviceAddress device, List<Long> seqs) {
    CompletableFuture<Void> deleted = queues.delete(device, seqs);
    deleted.whenComplete(
        (ok, failure) -> {
          if (failure == null) {
            acked.increment(seqs.size());
          }
        });
    return deleted;
  }

  @Override
  public long length(DeviceAddress device) {
    return queues.length(device);
  }

  @Override
  public long bytes(DeviceAddress device) {
    return queues.bytes(device);
  }

  @Override
  public boolean countsKnown(DeviceAddress device) {
    return queues.countsKnown(device);
  }

  @Override
  public long totalLength() {
    return queues.totalLength();
  }

  @Override
  public int purgeStoredBefore(long serverTimestamp) {
    return queues.purgeStoredBefore(serverTimestamp);
  }
}
