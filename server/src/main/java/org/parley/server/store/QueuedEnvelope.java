package org.parley.server.store;

/**
 * An envelope waiting in one device's queue.
 *
 * @param seq position in the queue; increases with commit order and is never reused
 * @param envelope the serialized Envelope, pushed to the device as is
 */
public record QueuedEnvelope(long seq, DeviceAddress destination, byte[] guid, long serverTimestamp, byte[] envelope) {}
