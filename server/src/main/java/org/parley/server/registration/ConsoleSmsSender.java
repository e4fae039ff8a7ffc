package org.parley.server.registration;

import java.io.PrintStream;

/** The default: prints each code on the server's console, for self-hosters without an SMS gateway. */
public final class ConsoleSmsSender implements SmsSender {
  private final PrintStream out;

  public ConsoleSmsSender(PrintStream out) {
    this.out = out;
  }

  @Override
  public void send(String phone, String code) {
    out.println("verification code for " + phone + ": " + code);
    out.flush();
  }
}
