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
      readIfRoom();
    });
  }

  void ack(List<ByteString> guids) {
    channel.eventLoop().execute(() -> {
      List<Long> done = new ArrayList<>(guids.size());
      for (ByteString guid : guids) {
        Long seq = inflight.remove(guid);
        if (seq != null) {
          done.add(seq);
        }
      }
      pushLate();
      if (!done.isEmpty()) {
        queues.delete(device, done).exceptionally(failure -> {
          // The envelopes stay queued and come again on the next connection; the device drops them
          // by guid.
          log.warn("could not delete {} acked envelopes of {}", done.size(), device, failure);
          return null;
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
      push(late.removeFirst());
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
    int limit = window - inflight.size();
    long after = lastPushed;
    blocking.execute(() -> {
      List<QueuedEnvelope> found;
      try {
        found = queues.read(device, after, limit);
      } catch (RuntimeException e) {
        log.warn("could not read the queue of {}", device, e);
        found = null;
      }
      List<QueuedEnvelope> result = found;
      channel.eventLoop().execute(() -> onRead(result, limit));
    });
  }

  private void onRead(List<QueuedEnvelope> found, int limit) {
    reading = false;
    if (!channel.isActive()) {
      return;
    }
    if (found == null) {
      dirty = true;
      channel.eventLoop().schedule(this::readIfRoom, 1, TimeUnit.SECONDS);
      return;
    }
    for (QueuedEnvelope envelope : found) {
      push(envelope);
    }
    if (found.size() < limit && !dirty) {
      caughtUp = true;
      if (!announcedEmpty) {
        announcedEmpty = true;
        session.push(Push.newBuilder().setQueueEmpty(QueueEmpty.getDefaultInstance()).build());
      }
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
