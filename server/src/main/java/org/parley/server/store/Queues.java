package org.parley.server.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Per-device queues of envelopes. Appends and deletes complete only once committed durably, so an
 * answer of "stored" is never ahead of the disk.
 */
public interface Queues {
  /**
   * Appends the envelopes in one commit; the result holds the queue positions of those written, in
   * order. An envelope whose device acked it before the store claimed it ({@link WriteClaim}) is not
   * written and not in the result.
   */
  CompletableFuture<List<QueuedEnvelope>> append(List<NewEnvelope> envelopes);

  /** Up to {@code limit} envelopes of the device after position {@code afterSeq}, oldest first. */
  List<QueuedEnvelope> read(DeviceAddress device, long afterSeq, int limit);

  CompletableFuture<Void> delete(DeviceAddress device, List<Long> seqs);

  long length(DeviceAddress device);

  /** Envelopes waiting in every queue (the queue-depth gauge, admin stats); may scan the queue. */
  long totalLength();

  /** Bytes of envelopes waiting for the device (what a per-device disk bound counts). */
  long bytes(DeviceAddress device);

  /**
   * Whether {@link #length} and {@link #bytes} of the device answer from memory now, without a read.
   * A send that needs nothing else from the store then runs on its connection's event loop.
   */
  default boolean countsKnown(DeviceAddress device) {
    return false;
  }

  /** Drops envelopes stored before the given server time; returns how many. */
  int purgeStoredBefore(long serverTimestamp);
}
