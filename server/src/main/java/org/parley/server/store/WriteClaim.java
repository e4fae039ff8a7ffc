package org.parley.server.store;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Settles, for an envelope pushed to its connected device before its commit, whether it still
 * needs writing at all. Whichever comes first wins: the device's ack (a device acks only what it
 * has committed to its own store, so there is nothing left to keep and nothing to delete later),
 * or the store claiming it for a write (it is committed, and an ack arriving afterwards deletes it
 * as any other). The sender's "sent" still waits for the commit of its request, so it means: every
 * envelope is on disk, or already acked by its device.
 *
 * <p>An envelope never pushed early cannot be acked before its commit (its device does not know
 * the guid yet), so the store's claim always wins for it.
 */
public final class WriteClaim {
  private static final int OPEN = 0;
  private static final int ACKED = 1;
  private static final int WRITTEN = 2;

  private final AtomicInteger state = new AtomicInteger(OPEN);
  /** Offered to its device's connection before its commit, and not turned down: its ack may come. */
  private volatile boolean offered;

  /** Handed to the device's connection to push before the commit (it may still turn it down). */
  public void offeredEarly() {
    offered = true;
  }

  /**
   * The default of the longest a store waits for the ack of an envelope pushed early (the server's
   * {@code --ack-hold}); a device whose acks take longer on average is not waited for at all (it
   * would only delay "sent"). 25 ms because on one saturated
   * core a device's push→ack averages 17–20 ms: 10 ms held nothing there, 25 ms left 1 % of envelopes
   * to write and cut the server's CPU per message from ~140 to ~65 µs (`parley-bench relay --users 500
   * --devices 2 --in-flight 128 --complete-on delivered --server-cpus 0`, 2026-11-27 19:32–19:39 UTC).
   */
  public static final long ACK_WAIT_NANOS = 25_000_000;

  /**
   * No ack is to be expected before its commit: the connection did not push it early (not caught
   * up, or closed), or its device acks slower than the store waits.
   */
  public void notPushedEarly() {
    offered = false;
  }

  /**
   * Whether a store that holds the write back a little may be spared it: the envelope is out to its
   * device (or about to be) and neither acked nor claimed yet.
   */
  public boolean awaitsAck() {
    return offered && state.get() == OPEN;
  }

  /** The device acked it before any store claimed it: it is never written. Final once true. */
  public boolean acked() {
    return state.get() == ACKED;
  }

  /**
   * The store is about to write the envelope: false when its device acked it first (write
   * nothing). True again for a store that runs the same write a second time (a retried batch).
   */
  public boolean claimForWrite() {
    return state.compareAndSet(OPEN, WRITTEN) || state.get() == WRITTEN;
  }

  /**
   * The device acked the envelope: true when no store claimed it (it is never written); false when
   * one did, and the envelope is to be deleted once its commit says where it is.
   */
  public boolean ackedBeforeWrite() {
    return state.compareAndSet(OPEN, ACKED) || state.get() == ACKED;
  }
}
