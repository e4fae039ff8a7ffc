package org.parley.server.store;

import java.util.UUID;

/**
 * An account: registered by phone number; the id is what everything else refers to.
 *
 * @param deviceList the serialized SignedDeviceList, or {@code null} before the primary signed one
 * @param deviceListVersion the version of that list (0 when none was ever stored)
 */
public record Account(
    UUID id, String phone, long createdAt, byte[] deviceList, long deviceListVersion) {}
