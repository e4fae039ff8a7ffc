package org.parley.cli.commands;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.parley.cli.Main;
import org.parley.cli.daemon.DaemonClient;
import org.parley.cli.output.JsonOutput;
import org.parley.cli.output.Output;
import org.parley.cli.output.PlainOutput;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.LoggedEvent;
import org.parley.client.net.Trust;
import org.parley.client.store.EventLog;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command acting on this device's profile: it builds its handlers' parameters from its options
 * ({@link #run}), and renders the result ({@link #render}) with the plain or the JSON writer. The
 * handlers run on the device opened here, or, when a daemon holds the profile, on the daemon (by
 * JSON-RPC on the profile's control socket): the same handlers and the same rendering, so the
 * command prints the same either way.
 *
 * @param <R> what {@link #run} returns for {@link #render}
 */
public abstract class DeviceCommand<R> implements Callable<Integer> {
  /** The event log cursor of the {@code receive} command: what it has printed so far. */
  public static final String RECEIVE_CURSOR = "receive";

  @Spec CommandSpec spec;

  @Mixin ProfileOptions profileOptions;

  @Mixin JsonOption jsonOption;

  /**
   * Calls the command's handler(s) with the parameters its options give. It runs in this process
   * in both modes (only the handlers may run in the daemon), so what it prints between two calls
   * ({@code link}'s QR code) prints the same either way; everything else belongs in {@link #render}.
   */
  protected abstract R run(Invoker invoker, Output output);

  /** Prints the result: sentences and records in plain form, one JSON object per record with --json. */
  protected abstract void render(R result, Output output);

  protected int exitCode(R result) {
    return 0;
  }

  /**
   * Whether events the device reports while the command runs (a warning during a send) are printed
   * as they come. {@code receive} says no: it prints everything from the event log, in order.
   */
  protected boolean showsLiveEvents() {
    return true;
  }

  /**
   * Where the handlers' events go while they run; {@code link} draws a progress bar instead. What the
   * device happens to take in meanwhile (a group change caught up on by {@code groups list}, a warning
   * during a send) is not the command's result: in plain form it is printed with it, but with
   * {@code --json} stdout holds only the command's own objects, as documented, so a script can parse
   * it whole; those events go to stderr as sentences, and {@code receive --json} still hands them over
   * (see {@link #standalone}). A daemon keeps them for {@code receive} too.
   */
  protected Caller caller(Output output) {
    Output caught = output.json() ? new PlainOutput(main().context().err(), main().context().err()) : output;
    return new Caller() {
      @Override
      public void event(LoggedEvent event) {
        output.event(event);
      }

      @Override
      public void live(ClientEvent event) {
        caught.event(event);
      }
    };
  }

  protected Main main() {
    return (Main) spec.root().userObject();
  }

  @Override
  public final Integer call() {
    Main main = main();
    Main.Context context = main.context();
    Output output =
        jsonOption.json()
            ? new JsonOutput(context.out(), context.err())
            : new PlainOutput(context.out(), context.err());
    Caller caller = caller(output);
    Path directory = profileOptions.directory(main.profileBeforeCommand(), context.environment());
    Path pem = profileOptions.trustCertificate(main.trustCertificateBeforeCommand());
    ClientConfig config =
        pem == null
            ? new ClientConfig(context.clock(), null)
            : ClientConfig.trusting(context.clock(), Trust.read(pem), pem.toString());
    try (DaemonClient daemon = DaemonClient.connect(directory)) {
      if (daemon != null) {
        // A daemon holds the profile: the handlers run there, and print the same here.
        Invoker there =
            new Invoker() {
              @Override
              public <P, T> T call(Handler<P, T> handler, P params) {
                return daemon.call(handler.method(), params, handler.result(), caller);
              }
            };
        R result = run(there, output);
        render(result, output);
        return exitCode(result);
      }
    }
    R result;
    try (Device device = Device.open(directory, config)) {
      if (showsLiveEvents()) {
        device.onEvent(caller::live);
      }
      result = standalone(device, Caller.asOwner(caller), output);
      render(result, output);
    }
    return exitCode(result);
  }

  /**
   * Runs here. What this command showed as it ran does not come again in the next {@code receive}:
   * the receive cursor moves past the events it produced, unless some were waiting before it began
   * (logged while a daemon ran), which {@code receive} still owes the user. With {@code --json} it
   * does not move: those events were not part of the JSON, and a script reads them from {@code receive}.
   */
  private R standalone(Device device, Caller caller, Output output) {
    Invoker here =
        new Invoker() {
          @Override
          public <P, T> T call(Handler<P, T> handler, P params) {
            return handler.handle(device, params, caller);
          }
        };
    if (!showsLiveEvents() || output.json()) {
      // With --json the events it caught went to stderr, not into the JSON: receive still owes them.
      return run(here, output);
    }
    EventLog log = device.events();
    boolean caughtUp = log.cursor(RECEIVE_CURSOR) >= log.lastId();
    try {
      return run(here, output);
    } finally {
      if (caughtUp) {
        log.advance(RECEIVE_CURSOR, log.lastId());
      }
    }
  }
}
