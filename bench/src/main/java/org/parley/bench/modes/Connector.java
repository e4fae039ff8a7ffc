package org.parley.bench.modes;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.IntFunction;
import org.parley.bench.net.WsClient;
import org.parley.bench.net.WsConnection;
import org.parley.bench.population.BenchDevice;
import org.parley.protocol.wire.Push;
import java.util.function.Consumer;

/** Opens many device connections, a bounded number at a time (a burst of thousands of SYNs only overflows the backlog). */
public final class Connector {
  private Connector() {}

  /**
   * Connects every device as its receiving connection ({@code deliver} true) or a send-only one;
   * {@code listeners} gives each device's push listener by index.
   */
  public static List<WsConnection> connectAll(
      WsClient client, List<BenchDevice> devices, boolean deliver, IntFunction<Consumer<Push>> listeners, int parallel) {
    Semaphore permits = new Semaphore(parallel);
    List<CompletableFuture<WsConnection>> opening = new ArrayList<>(devices.size());
    String path = deliver ? "/v1/websocket" : "/v1/websocket?deliver=false";
    for (int i = 0; i < devices.size(); i++) {
      permits.acquireUninterruptibly();
      CompletableFuture<WsConnection> one = client.connect(path, devices.get(i).authorization(), listeners.apply(i));
      one.whenComplete((c, e) -> permits.release());
      opening.add(one);
    }
    List<WsConnection> out = new ArrayList<>(devices.size());
    for (int i = 0; i < opening.size(); i++) {
      try {
        out.add(opening.get(i).join());
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            "device connection " + (i + 1) + " of " + devices.size() + " failed: " + rootMessage(e)
                + "; past ~28,000 connections add --source-addresses, past the open-files limit ('ulimit -n') there is no way on",
            e);
      }
    }
    return out;
  }

  static String rootMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause.toString();
  }
}
