package org.parley.server.store;

/**
 * What remains of an unlinked device: enough to tell it why when it next shows its old credential.
 *
 * @param reason an {@code UnlinkReason} number
 */
public record Tombstone(DeviceAddress address, byte[] credentialHash, int reason, long at) {}
