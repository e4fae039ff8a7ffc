package org.parley.server.store;

/** An envelope to append to a device's queue. */
public record NewEnvelope(DeviceAddress destination, byte[] guid, long serverTimestamp, byte[] envelope) {}
