package org.parley.server.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for test servers, taken below the kernel's ephemeral range (Linux: 32768-60999). Port 0
 * hands out a port from that range, which is also where outgoing connections take their local
 * ports: with the flood tests running beside them (tens of thousands of connections), a port picked
 * there is soon some client's before the server binds it, or while a server that stopped is down
 * before it starts again on the same port. Below the range, a port is taken only by a server that
 * binds it on purpose.
 */
public final class TestPorts {
  private static final int LOWEST = 20_000;
  private static final int BELOW_EPHEMERAL = 32_768;

  private TestPorts() {}

  /** A port nothing listens on now, below the ephemeral range. */
  public static int free() throws IOException {
    for (int i = 0; i < 500; i++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, BELOW_EPHEMERAL);
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(port));
        return port;
      } catch (IOException taken) {
        // another test's server has it: draw again
      }
    }
    throw new IOException("no free port between " + LOWEST + " and " + BELOW_EPHEMERAL);
  }

  /** Whether a start failed because its port was taken meanwhile (then another port may do). */
  public static boolean taken(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }
}
