package org.parley.cli.commands;

import java.util.concurrent.Callable;
import org.parley.cli.Main;
import org.parley.cli.output.JsonOutput;
import org.parley.cli.output.Output;
import org.parley.cli.output.PlainOutput;
import org.parley.client.ClientConfig;
import org.parley.client.Device;
import org.parley.client.net.Trust;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command acting on this device's profile: opens it, runs, closes it. */
abstract class DeviceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  protected Main main() {
    return (Main) spec.root().userObject();
  }

  @Override
  public final Integer call() throws Exception {
    Main main = main();
    ClientConfig config = new ClientConfig(main.context().clock(), Trust.of(main.trustCertificate()));
    try (Device device = Device.open(main.profileDirectory(), config)) {
      Output output = output(json());
      device.onEvent(output::event);
      return run(device, output);
    }
  }

  /** Commands that read override this with their {@code --json} option. */
  protected boolean json() {
    return false;
  }

  protected Output output(boolean json) {
    Main.Context context = main().context();
    return json ? new JsonOutput(context.out(), context.err()) : new PlainOutput(context.out(), context.err());
  }

  protected abstract int run(Device device, Output output) throws Exception;
}
