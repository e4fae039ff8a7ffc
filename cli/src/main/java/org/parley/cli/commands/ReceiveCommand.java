package org.parley.cli.commands;

import java.time.Duration;
import org.parley.cli.Durations;
import org.parley.cli.output.Output;
import org.parley.client.ClientException;
import org.parley.client.events.LoggedEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.store.EventLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "receive",
    mixinStandardHelpOptions = true,
    description = {
      "Print what arrived since the last 'receive' (also what a daemon took in meanwhile), then take",
      "and print what arrives until nothing has come for the timeout."
    })
public final class ReceiveCommand extends DeviceCommand<ReceiveCommand.Received> {
  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = Durations.class,
      description = "Stop after this long without anything arriving (default: 5s).")
  Duration timeout = Duration.ofSeconds(5);

  /** @param timeout seconds without anything arriving before the call returns (default 5) */
  public record Params(Double timeout) {}

  /** @param events how many events were handed on; @param unlinked whether this device is unlinked */
  public record Received(int events, boolean unlinked) {}

  /**
   * {@code receive}: hands on, as events, everything in the event log after the {@code receive}
   * cursor, then what arrives until nothing has come for the timeout; the cursor follows.
   */
  public static final Handler<Params, Received> RECEIVE =
      Handler.waiting("receive", Params.class, Received.class, (device, p, caller) -> {
        if (!caller.streams()) {
          throw new ClientException(
              "UNSUPPORTED",
              "receive hands on events as notifications: call it on the UNIX socket or TCP, or read GET"
                  + " /api/v1/events over HTTP",
              null);
        }
        double seconds = p.timeout() == null ? 5 : p.timeout();
        if (seconds < 0 || seconds > 3600) {
          throw new IllegalArgumentException("timeout must be between 0 and 3600 seconds");
        }
        Drain drain = new Drain(device.events(), caller, device.local().deviceId());
        drain.run();
        device.receive(Duration.ofMillis((long) (seconds * 1000)), event -> drain.run());
        drain.run();
        return new Received(drain.count, device.local().unlinkedReason() != null);
      });

  /**
   * Hands on the log's events after the cursor, moving it past each one. What this device sent
   * itself is in the log (for the daemon's subscribers) but is not something it received: skipped.
   */
  private static final class Drain {
    private final EventLog log;
    private final Caller caller;
    private final int ownDevice;
    private int count;

    Drain(EventLog log, Caller caller, int ownDevice) {
      this.log = log;
      this.caller = caller;
      this.ownDevice = ownDevice;
    }

    /** Under the log's monitor: two receives at once (two terminals) never hand on an event twice. */
    void run() {
      synchronized (log) {
        drain();
      }
    }

    private void drain() {
      for (var batch = log.after(log.cursor(RECEIVE_CURSOR), 256);
          !batch.isEmpty();
          batch = log.after(log.cursor(RECEIVE_CURSOR), 256)) {
        for (LoggedEvent event : batch) {
          if (!(event.event() instanceof MessageEvent m && m.outgoing() && m.fromDevice() == ownDevice)) {
            caller.event(event);
            count++;
          }
          log.advance(RECEIVE_CURSOR, event.eventId());
        }
      }
    }
  }

  @Override
  protected boolean showsLiveEvents() {
    return false;
  }

  @Override
  protected Received run(Invoker invoker, Output output) {
    return invoker.call(RECEIVE, new Params(timeout.toMillis() / 1000.0));
  }

  @Override
  protected void render(Received result, Output output) {
    // The events were printed as they came.
  }

  @Override
  protected int exitCode(Received result) {
    return result.unlinked() ? 1 : 0;
  }
}
