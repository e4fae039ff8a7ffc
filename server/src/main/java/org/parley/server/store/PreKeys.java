package org.parley.server.store;

/** The public pre-keys a device uploads; the server hands them out to start sessions. */
public final class PreKeys {
  private PreKeys() {}

  /** A public key with its id and, for signed kinds, the identity key's signature. */
  public record Key(int id, byte[] publicKey, byte[] signature) {}

  /** What one upload carries; any part may be absent (null / empty). */
  public record Upload(
      Key signedPreKey,
      Key kyberLastResort,
      java.util.List<Key> oneTimePreKeys,
      java.util.List<Key> oneTimeKyberPreKeys) {}

  /**
   * One device's bundle as taken for a session: one-time keys are consumed by taking them.
   *
   * @param preKey a one-time EC key, or {@code null} when none is left
   * @param kyberPreKey a one-time Kyber key when one is left, else the last-resort key
   */
  public record Bundle(DeviceRecord device, Key signedPreKey, Key kyberPreKey, Key preKey) {}

  public record Counts(int preKeys, int kyberPreKeys) {}
}
