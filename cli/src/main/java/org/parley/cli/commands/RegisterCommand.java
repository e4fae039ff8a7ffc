package org.parley.cli.commands;

import java.util.Map;
import org.parley.cli.output.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "register",
    mixinStandardHelpOptions = true,
    description = "Ask the server for a verification code for a phone number; finish with 'parley verify CODE'.")
public final class RegisterCommand extends DeviceCommand<RegisterCommand.Requested> {
  @Option(names = "--server", required = true, paramLabel = "URL", description = "The server, e.g. ws://127.0.0.1:8080.")
  String server;

  @Option(names = "--phone", required = true, paramLabel = "+E164", description = "The phone number, e.g. +15550100123.")
  String phone;

  @Option(names = "--name", paramLabel = "NAME", description = "This device's name (default: primary).")
  String name;

  public record Params(String server, String phone, String name) {}

  public record Requested(String phone) {}

  /** {@code register}: asks for a verification code (step one of registration). */
  public static final Handler<Params, Requested> REGISTER =
      Handler.of("register", Params.class, Requested.class, (device, p, caller) -> {
        device.requestCode(Require.text(p.server(), "server"), Require.text(p.phone(), "phone"), p.name());
        return new Requested(device.local().phone());
      });

  @Override
  protected Requested run(Invoker invoker, Output output) {
    return invoker.call(REGISTER, new Params(server, phone, name));
  }

  @Override
  protected void render(Requested result, Output output) {
    if (output.json()) {
      output.record("code-requested", Map.of("phone", result.phone()));
    } else {
      output.note("verification code requested for " + result.phone() + "; finish with 'parley verify CODE'");
    }
  }
}
