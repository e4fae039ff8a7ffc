package org.parley.server.registration;

/** Delivers verification codes: the edge of the world, replaced by a fake in tests. */
public interface SmsSender {
  void send(String phone, String code);
}
