package org.parley.server.messages;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import com.google.protobuf.CodedOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.parley.protocol.wire.Push;
import org.parley.protocol.wire.QueueEmpty;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.QueuedEnvelope;
import org.parley.server.store.Queues;
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
 * <p>A wake from another node reads the whole queue again instead ({@link #wake}): a clustered
 * store hands out positions when a row is inserted, and commits land in any order, so what another
 * node committed may sit below the last position pushed here. Only what is in flight or being
 * deleted is skipped; anything else (at worst an envelope pushed twice) the device drops by guid.
 */
final class DeliveryPump {
  private static final Logger log = LoggerFactory.getLogger(DeliveryPump.class);
  // Frame.push = field 3, Push.envelope = field 1, both length-delimited.
  private static final int FRAME_PUSH_TAG = (3 << 3) | 2;
  private static final int PUSH_ENVELOPE_TAG = (1 << 3) | 2;

  private final Session session;
  private final Channel channel;
  private final DeviceAddress device;
  private final Queues queues;
  private final Executor blocking;
  private final int window;
  private final Counter delivered;

  private final Map<ByteString, Long> inflight = new LinkedHashMap<>();
  /** Acked, their deletion not committed yet: a rescan must not push them again. */
  private final java.util.Set<ByteString> deleting = new java.util.HashSet<>();
  /** Where the next read goes through the queue again from (after a wake), or -1. */
  private long rescanFrom = -1;
  /** Offered out of order below the read position and not in flight: pushed as soon as there is room. */
  private final java.util.ArrayDeque<QueuedEnvelope> late = new java.util.ArrayDeque<>();
  private long lastPushed;
  private boolean reading;
  private boolean dirty;
  private boolean caughtUp;
  private boolean announcedEmpty;

  DeliveryPump(Session session, Queues queues, Executor blocking, int window, Counter delivered) {
    this.session = session;
    this.channel = session.channel();
    this.device = session.address();
    this.queues = queues;
    this.blocking = blocking;
    this.window = window;
    this.delivered = delivered;
  }

  void start() {
    channel.eventLoop().execute(this::readIfRoom);
  }

  /** A newly committed envelope for this device. */
  void offer(QueuedEnvelope envelope) {
    channel.eventLoop().execute(() -> {
      if (envelope.seq() <= lastPushed) {
        // Offers can come out of commit order: a commit that completes before its sender chained
        // the delivery callback runs that callback on the sender's thread, after later commits were
        // offered. Below the read position and not in flight, the envelope was either pushed and
        // acked already or never pushed; the reads (after lastPushed) would never find it again, so
        // push it. A duplicate is harmless: devices drop what they already have by guid.
        if (!inflight.containsKey(ByteString.copyFrom(envelope.guid()))) {
          log.debug("late offer of {} below {} for {}", envelope.seq(), lastPushed, device);
          late.add(envelope);
          pushLate();
        }
        return;
      }
      if (caughtUp && canPush()) {
        push(envelope);
      } else {
        caughtUp = false;
        dirty = true;
        readIfRoom();
      }
    });
  }

  /** Something new may wait in the store (another node committed it): read on from the last position pushed. */
  void wake() {
    channel.eventLoop().execute(() -> {
      caughtUp = false;
      dirty = true;
      rescanFrom = 0;
      readIfRoom();
    });
  }

  void ack(List<ByteString> guids) {
    channel.eventLoop().execute(() -> {
      List<Long> done = new ArrayList<>(guids.size());
      List<ByteString> gone = new ArrayList<>(guids.size());
      for (ByteString guid : guids) {
        Long seq = inflight.remove(guid);
        if (seq != null) {
          done.add(seq);
          gone.add(guid);
        }
      }
      pushLate();
      if (!done.isEmpty()) {
        deleting.addAll(gone);
        queues.delete(device, done).whenComplete((ok, failure) -> {
          if (failure != null) {
            // The envelopes stay queued and come again on the next connection; the device drops
            // them by guid.
            log.warn("could not delete {} acked envelopes of {}", done.size(), device, failure);
          }
          channel.eventLoop().execute(() -> gone.forEach(deleting::remove));
        });
      }
      if (!caughtUp) {
        readIfRoom();
      }
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
      if (!inflight.containsKey(ByteString.copyFrom(envelope.guid()))) { // a rescan may have pushed it
        push(envelope);
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
    if (reading || !channel.isActive() || !canPush()) {
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
      if (rescannedFrom >= 0 && rescanFrom < 0) {
        rescanFrom = rescannedFrom;
      }
      channel.eventLoop().schedule(this::readIfRoom, 1, TimeUnit.SECONDS);
      return;
    }
    if (rescannedFrom >= 0) {
      rescan(found, limit, rescannedFrom);
      return;
    }
    for (QueuedEnvelope envelope : found) {
      push(envelope);
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
      if (!inflight.containsKey(guid) && !deleting.contains(guid)) {
        if (!canPush()) {
          // No room for the rest: go on from here once acks or the socket make some.
          if (rescanFrom < 0) {
            rescanFrom = handled;
          }
          dirty = true;
          return;
        }
        push(envelope);
      }
      handled = envelope.seq();
    }
    if (found.size() == limit && rescanFrom < 0) {
      rescanFrom = handled; // a full page: more may follow
    }
    if (found.size() < limit && !dirty) {
      caughtUp();
    } else {
      readIfRoom();
    }
  }

  private void push(QueuedEnvelope envelope) {
    inflight.put(ByteString.copyFrom(envelope.guid()), envelope.seq());
    lastPushed = Math.max(lastPushed, envelope.seq());
    delivered.increment();
    channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(encodePush(envelope.envelope()))));
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
