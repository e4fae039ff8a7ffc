package org.parley.server.messages;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.QueueEmpty;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.Queues;
import org.parley.server.store.WriteClaim;
import org.parley.server.transport.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes one connected device's queue to it, in queue order, first what was waiting and then what
 * arrives live, with at most {@code window} envelopes unacked and nothing written to a socket that
 * is not keeping up. An envelope leaves the store only when the device acks it.
 *
 * <p>All state is touched on the connection's event loop only. Live envelopes are pushed straight
 * from memory while the pump is caught up; whenever it is not (window full, slow socket, a read in
 * flight) it falls back to reading the store from the last position it pushed.
 *
 * <p>An envelope may also be pushed before its commit ({@link #offerEarly}), when the pump is caught
 * up: it waits in flight without a position until its commit's offer brings one. Acked before the
 * store claimed it, it is never written ({@link WriteClaim}); acked after, it is deleted once its
 * position is known.
 *
 * <p>A wake from another node reads the queue again from the lowest position that node committed
 * for the device ({@link #wake}), or from the last position pushed if that is lower: a clustered
 * store hands out positions when a row is inserted, and commits land in any order, so what another
 * node committed may sit below the last position pushed here. Only what is in flight or being
 * deleted is skipped; anything else (at worst an envelope pushed twice) the device drops by guid.
 */
final class DeliveryPump {
  private static final Logger log = LoggerFactory.getLogger(DeliveryPump.class);
  // Frame.push = field 3, Push.envelope = field 1, both length-delimited.
  private static final int FRAME_PUSH_TAG = (3 << 3) | 2;
  private static final int PUSH_ENVELOPE_TAG = (1 << 3) | 2;
  /** The in-flight position of an envelope pushed before its commit (positions start at 1). */
  private static final long EARLY = 0;

  private final Session session;
  private final Channel channel;
  private final DeviceAddress device;
  private final Queues queues;
  private final Executor blocking;
  private final int window;
  private final Counter delivered;

  /** Queue position of every envelope pushed and not acked; {@link #EARLY} until its commit says. */
  private final Map<ByteString, Long> inflight = new LinkedHashMap<>();
  /** Pushed before their commit, no position known yet: who wins, their ack or the writer. */
  private final Map<ByteString, Early> early = new HashMap<>();
  /** Average time from an early push to its ack (nanoseconds, weight 1/8 to the newest), 0 before the first. */
  private long ackNanos;
  /** How long the store waits for an early push's ack: a device that acks slower on average is not waited for. */
  private final long ackWaitNanos;
  private final LongSupplier nanoTime;

  private record Early(WriteClaim claim, long pushedAt) {}

  /** Pushed early and placed by their commit, not acked yet: when they went out (a slow ack comes after the commit). */
  private final Map<ByteString, Long> placedEarly = new HashMap<>();
  /** Pushed early and acked after the store claimed them: deleted once their commit gives a position. */
  private final Set<ByteString> ackedUnplaced = new HashSet<>();
  /** Pushed early and placed by a read of the store before their commit's offer: that offer is ignored. */
  private final Set<ByteString> placedByRead = new HashSet<>();
  /** Acked, their deletion not committed yet: a rescan must not push them again. */
  private final Set<ByteString> deleting = new HashSet<>();
  /** Where the next read goes through the queue again from (after a wake), or -1; see {@link #rescanAfter}. */
  private long rescanFrom = -1;
  /** Offered out of order below the read position and not in flight: pushed as soon as there is room. */
  private final java.util.ArrayDeque<QueuedEnvelope> late = new java.util.ArrayDeque<>();
  private long lastPushed;
  private boolean reading;
  private boolean dirty;
  private boolean caughtUp;
  private boolean announcedEmpty;
  /**
   * The client has spoken ({@link #start}): nothing is read or pushed before, since some clients lose
   * frames that come with the upgrade response (the session holds its own pushes until then too).
   */
  private boolean started;

  DeliveryPump(Session session, Queues queues, Executor blocking, int window, Counter delivered) {
    this(session, queues, blocking, window, delivered, System::nanoTime);
  }

  /** @param nanoTime the clock its acks are timed by */
  DeliveryPump(Session session, Queues queues, Executor blocking, int window, Counter delivered, LongSupplier nanoTime) {
    this(session, queues, blocking, window, delivered, WriteClaim.ACK_WAIT_NANOS, nanoTime);
  }

  /** @param ackWaitNanos the store's ack hold (the server's {@code --ack-hold}) */
  DeliveryPump(
      Session session, Queues queues, Executor blocking, int window, Counter delivered, long ackWaitNanos, LongSupplier nanoTime) {
    this.ackWaitNanos = ackWaitNanos;
    this.nanoTime = nanoTime;
    this.session = session;
    this.channel = session.channel();
    this.device = session.address();
    this.queues = queues;
    this.blocking = blocking;
    this.window = window;
    this.delivered = delivered;
  }

  void start() {
    channel.eventLoop().execute(() -> {
      started = true;
      readIfRoom();
    });
  }

  /**
   * An envelope not committed yet: pushed at once if the pump is caught up with nothing waiting,
   * else left to its commit's {@link #offer}. Either that offer or {@link #abandon} follows.
   */
  void offerEarly(NewEnvelope envelope) {
    PushEvent event = PushEvent.handedOver();
    channel.eventLoop().execute(() -> {
      PushEvent.running(event);
      String way = "declined";
      if (caughtUp && late.isEmpty() && canPush() && channel.isActive()) {
        ByteString guid = ByteString.copyFrom(envelope.guid());
        if (inflight.putIfAbsent(guid, EARLY) == null) {
          early.put(guid, new Early(envelope.claim(), nanoTime.getAsLong()));
          write(envelope.envelope());
          way = "early";
          if (ackWaitNanos > 0 && ackNanos <= ackWaitNanos) {
            PushEvent.went(event, way);
            return; // its ack usually comes within the store's wait: worth waiting for
          }
        }
      }
      PushEvent.went(event, way);
      // Not pushed, or pushed to a device that acks slower than the store would wait: don't wait.
      envelope.claim().notPushedEarly();
    });
  }

  /** The commit of an envelope offered early failed: it will never have a position. */
  void abandon(NewEnvelope envelope) {
    channel.eventLoop().execute(() -> {
      ByteString guid = ByteString.copyFrom(envelope.guid());
      placedByRead.remove(guid);
      if (early.remove(guid) != null) {
        inflight.remove(guid);
      }
      if (ackedUnplaced.remove(guid)) {
        deleting.remove(guid);
      }
      pushLate();
      if (!caughtUp) {
        readIfRoom();
      }
    });
  }

  /** A newly committed envelope for this device. */
  void offer(QueuedEnvelope envelope) {
    PushEvent event = PushEvent.handedOver();
    channel.eventLoop().execute(() -> {
      PushEvent.running(event);
      ByteString guid = ByteString.copyFrom(envelope.guid());
      if (placedByRead.remove(guid) || placed(guid, envelope.seq())) {
        PushEvent.went(event, "placed");
        return;
      }
      if (envelope.seq() <= lastPushed) {
        // Offers can come out of commit order: a commit that completes before its sender chained
        // the delivery callback runs that callback on the sender's thread, after later commits were
        // offered. Below the read position and not in flight, the envelope was either pushed and
        // acked already or never pushed; the reads (after lastPushed) would never find it again, so
        // push it. A duplicate is harmless: devices drop what they already have by guid.
        // Nor being deleted: a rescan may have placed and deleted it (pushed early, acked) already.
        if (!inflight.containsKey(guid) && !deleting.contains(guid)) {
          log.debug("late offer of {} below {} for {}", envelope.seq(), lastPushed, device);
          late.add(envelope);
          pushLate();
        }
        PushEvent.went(event, "late");
        return;
      }
      if (caughtUp && canPush()) {
        push(guid, envelope);
        PushEvent.went(event, "committed");
      } else {
        caughtUp = false;
        dirty = true;
        readIfRoom();
        PushEvent.went(event, "read");
      }
    });
  }

  /**
   * Another node committed envelopes for this device at positions above {@code after} (0 when it
   * cannot say): read the queue again from there. Positions committed on other nodes need not come
   * in order, so that may be below the last position pushed; and never above it, or a read in
   * flight could push past a position this wake still owes.
   */
  void wake(long after) {
    channel.eventLoop().execute(() -> {
      caughtUp = false;
      dirty = true;
      // Never below 0: -1 would mean no rescan at all.
      rescanAfter(Math.max(0, Math.min(after, lastPushed)));
      readIfRoom();
    });
  }

  /** The next read goes through the queue again from {@code after}, or from a lower position already owed. */
  private void rescanAfter(long after) {
    rescanFrom = rescanFrom < 0 ? after : Math.min(rescanFrom, after);
  }

  /**
   * Whether a committed envelope was pushed early: if so its position is now known (and it is
   * deleted if its ack came first). A read that finds it later skips it.
   */
  private boolean placed(ByteString guid, long seq) {
    // The read position moves only while caught up: otherwise envelopes committed below this one
    // may still be waiting for a read, which would then start above them and miss them.
    if (ackedUnplaced.remove(guid)) {
      if (caughtUp) {
        lastPushed = Math.max(lastPushed, seq);
      }
      delete(List.of(seq), List.of(guid));
      return true;
    }
    Early pushed = early.remove(guid);
    if (pushed != null) {
      placedEarly.put(guid, pushed.pushedAt());
      inflight.put(guid, seq);
      if (caughtUp) {
        lastPushed = Math.max(lastPushed, seq);
      }
      return true;
    }
    return false;
  }

  /** Whether a read's envelope is still to be pushed: not an early one it places, not in flight, not being deleted. */
  private boolean owed(ByteString guid, long seq) {
    return !placedByRead(guid, seq) && !inflight.containsKey(guid) && !deleting.contains(guid);
  }

  private boolean placedByRead(ByteString guid, long seq) {
    if (placed(guid, seq)) {
      placedByRead.add(guid);
      return true;
    }
    return false;
  }

  void ack(List<ByteString> guids) {
    channel.eventLoop().execute(() -> {
      List<Long> done = new ArrayList<>(guids.size());
      List<ByteString> gone = new ArrayList<>(guids.size());
      for (ByteString guid : guids) {
        Long seq = inflight.remove(guid);
        if (seq == null) {
          continue;
        }
        if (seq == EARLY) {
          Early pushed = early.remove(guid);
          timeAck(pushed.pushedAt());
          if (!pushed.claim().ackedBeforeWrite()) {
            // The writer has it: delete it once its commit says where it is.
            ackedUnplaced.add(guid);
            deleting.add(guid);
          }
          continue;
        }
        Long pushedAt = placedEarly.remove(guid);
        if (pushedAt != null) {
          timeAck(pushedAt); // the slow ones: they come after the commit
        }
        done.add(seq);
        gone.add(guid);
      }
      pushLate();
      if (!done.isEmpty()) {
        delete(done, gone);
      }
      if (!caughtUp) {
        readIfRoom();
      }
    });
  }

  private void timeAck(long pushedAt) {
    long took = nanoTime.getAsLong() - pushedAt;
    ackNanos = ackNanos == 0 ? took : ackNanos + (took - ackNanos) / 8;
  }

  private void delete(List<Long> seqs, List<ByteString> guids) {
    deleting.addAll(guids);
    queues.delete(device, seqs).whenComplete((ok, failure) -> {
      if (failure != null) {
        // The envelopes stay queued and come again on the next connection; the device drops
        // them by guid.
        log.warn("could not delete {} acked envelopes of {}", seqs.size(), device, failure);
      }
      channel.eventLoop().execute(() -> guids.forEach(deleting::remove));
    });
  }

  void writable() {
    channel.eventLoop().execute(() -> {
      pushLate();
      if (!caughtUp) {
        readIfRoom();
      }
    });
  }

  private void pushLate() {
    while (!late.isEmpty() && canPush() && channel.isActive()) {
      QueuedEnvelope envelope = late.removeFirst();
      ByteString guid = ByteString.copyFrom(envelope.guid());
      if (!inflight.containsKey(guid)) { // a rescan may have pushed it
        push(guid, envelope);
      }
    }
  }

  private boolean canPush() {
    // A draining server pushes nothing new: what is in flight gets acked, the rest waits in the store.
    return inflight.size() < window && channel.isWritable() && !session.isDraining();
  }

  /** Nothing pushed waits for an ack. On the event loop. */
  boolean settled() {
    return inflight.isEmpty();
  }

  private void readIfRoom() {
    if (!started || reading || !channel.isActive() || !canPush()) {
      return;
    }
    reading = true;
    dirty = false;
    caughtUp = false;
    boolean rescanning = rescanFrom >= 0;
    // A rescan reads what is in flight too (and skips it), so it asks for a whole window.
    int limit = rescanning ? window : window - inflight.size();
    long after = rescanning ? rescanFrom : lastPushed;
    rescanFrom = -1;
    blocking.execute(() -> {
      List<QueuedEnvelope> found;
      try {
        found = queues.read(device, after, limit);
      } catch (RuntimeException e) {
        log.warn("could not read the queue of {}", device, e);
        found = null;
      }
      List<QueuedEnvelope> result = found;
      channel.eventLoop().execute(() -> onRead(result, limit, rescanning ? after : -1));
    });
  }

  /** @param rescannedFrom where a rescan read from, or -1 for a read on from the last position pushed */
  private void onRead(List<QueuedEnvelope> found, int limit, long rescannedFrom) {
    reading = false;
    if (!channel.isActive()) {
      return;
    }
    if (found == null) {
      dirty = true;
      if (rescannedFrom >= 0) {
        rescanAfter(rescannedFrom);
      }
      channel.eventLoop().schedule(this::readIfRoom, 1, TimeUnit.SECONDS);
      return;
    }
    if (rescannedFrom >= 0) {
      rescan(found, limit, rescannedFrom);
      return;
    }
    for (QueuedEnvelope envelope : found) {
      ByteString guid = ByteString.copyFrom(envelope.guid());
      // Pushed early and committed before its commit's offer came: not again.
      if (owed(guid, envelope.seq())) {
        push(guid, envelope);
      }
      lastPushed = Math.max(lastPushed, envelope.seq()); // read past, pushed or not
    }
    if (found.size() < limit && !dirty) {
      caughtUp();
    } else {
      readIfRoom();
    }
  }

  private void caughtUp() {
    caughtUp = true;
    if (!announcedEmpty) {
      announcedEmpty = true;
      session.push(Push.newBuilder().setQueueEmpty(QueueEmpty.getDefaultInstance()).build());
    }
  }

  /** Pushes what a rescan found that is neither in flight nor being deleted, while there is room. */
  private void rescan(List<QueuedEnvelope> found, int limit, long from) {
    long handled = from;
    for (QueuedEnvelope envelope : found) {
      ByteString guid = ByteString.copyFrom(envelope.guid());
      if (owed(guid, envelope.seq())) {
        if (!canPush()) {
          // No room for the rest: go on from here once acks or the socket make some.
          rescanAfter(handled);
          dirty = true;
          return;
        }
        push(guid, envelope);
      }
      handled = envelope.seq();
    }
    if (found.size() == limit) {
      rescanAfter(handled); // a full page: more may follow
    }
    if (found.size() < limit && !dirty) {
      caughtUp();
    } else {
      readIfRoom();
    }
  }

  private void push(ByteString guid, QueuedEnvelope envelope) {
    inflight.put(guid, envelope.seq());
    lastPushed = Math.max(lastPushed, envelope.seq());
    write(envelope.envelope());
  }

  private void write(byte[] envelope) {
    delivered.increment();
    channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(encodePush(envelope))));
  }

  /** Wraps stored envelope bytes as Frame{push{envelope}} without parsing them again. */
  static byte[] encodePush(byte[] envelope) {
    int pushSize = 1 + CodedOutputStream.computeUInt32SizeNoTag(envelope.length) + envelope.length;
    int frameSize = 1 + CodedOutputStream.computeUInt32SizeNoTag(pushSize) + pushSize;
    byte[] out = new byte[frameSize];
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    try {
      stream.writeUInt32NoTag(FRAME_PUSH_TAG);
      stream.writeUInt32NoTag(pushSize);
      stream.writeUInt32NoTag(PUSH_ENVELOPE_TAG);
      stream.writeUInt32NoTag(envelope.length);
      stream.writeRawBytes(envelope);
      stream.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }
}
