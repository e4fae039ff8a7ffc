package org.parley.server.registration;

import java.io.PrintStream;
import java.net.URI;

/** Reads the {@code --sms console|webhook:URL} option. */
public final class SmsSenders {
  private SmsSenders() {}

  public static SmsSender fromOption(String option, PrintStream console) {
    if (option == null || option.equals("console")) {
      return new ConsoleSmsSender(console);
    }
    if (option.startsWith("webhook:")) {
      URI uri = URI.create(option.substring("webhook:".length()));
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException("--sms webhook:URL needs an http or https URL, got " + uri);
      }
      return new WebhookSmsSender(uri);
    }
    throw new IllegalArgumentException("--sms takes 'console' or 'webhook:URL', not '" + option + "'");
  }
}
