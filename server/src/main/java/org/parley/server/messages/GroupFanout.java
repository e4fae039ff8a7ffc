package org.parley.server.messages;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.parley.protocol.wire.Envelope;
import org.parley.server.Limits;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.NewEnvelope;
import org.parley.server.store.Queues;

/**
 * The last step of every group send and group notice: one copy of an envelope per device, committed
 * together, and only then handed to the devices' connections.
 *
 * <p>A device whose queue is full is left out rather than refusing the whole send: in a group of a
 * thousand members one abandoned phone must not silence everyone else. It misses that envelope as it
 * would miss one that expired; the sender sees the count stored.
 */
public final class GroupFanout {
  private final Queues queues;
  private final Presence presence;
  private final Limits limits;

  public GroupFanout(Queues queues, Presence presence, Limits limits) {
    this.queues = queues;
    this.presence = presence;
    this.limits = limits;
  }

  /** Copies of {@code prototype}, each with its own guid and destination device. */
  public List<NewEnvelope> copies(Envelope prototype, Collection<DeviceAddress> devices) {
    List<NewEnvelope> out = new ArrayList<>(devices.size());
    Envelope.Builder builder = prototype.toBuilder();
    for (DeviceAddress device : devices) {
      if (queues.length(device) >= limits.maxQueueLength()
          || queues.bytes(device) + prototype.getContent().size() > limits.maxQueueBytes()) {
        continue;
      }
      byte[] guid = new byte[16];
      ThreadLocalRandom.current().nextBytes(guid);
      byte[] envelope =
          builder.setGuid(ByteString.copyFrom(guid)).setDestinationDevice(device.device()).build().toByteArray();
      out.add(new NewEnvelope(device, guid, prototype.getServerTimestamp(), envelope));
    }
    return out;
  }

  /** Commits the envelopes in one go, then wakes their devices; completes with how many were stored. */
  public CompletableFuture<Integer> commit(List<NewEnvelope> envelopes) {
    if (envelopes.isEmpty()) {
      return CompletableFuture.completedFuture(0);
    }
    return queues.append(envelopes).thenApply(stored -> {
      presence.deliver(stored);
      return stored.size();
    });
  }
}
