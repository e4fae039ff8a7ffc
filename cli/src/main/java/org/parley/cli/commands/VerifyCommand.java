package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = "Finish registration with the verification code; this device becomes the account's primary.")
public final class VerifyCommand extends DeviceCommand<VerifyCommand.Registered> {
  @Parameters(paramLabel = "CODE", description = "The six-digit code sent by SMS.")
  String code;

  @picocli.CommandLine.Option(
      names = "--pin",
      paramLabel = "PIN",
      description = "The number's registration-lock PIN, when its primary set one ('parley registration-lock').")
  String pin;

  public record Params(String code, String registrationLockPin) {}

  public record Registered(String phone, String account, int deviceId) {}

  /** {@code verify}: finishes registration; this device becomes the primary. */
  public static final Handler<Params, Registered> VERIFY =
      Handler.of("verify", Params.class, Registered.class, (device, p, caller) -> {
        device.verify(Require.text(p.code(), "code"), p.registrationLockPin());
        var local = device.local();
        return new Registered(local.phone(), local.account().toString(), local.deviceId());
      });

  @Override
  protected Registered run(Invoker invoker, Output output) {
    return invoker.call(VERIFY, new Params(code, pin));
  }

  @Override
  protected void render(Registered result, Output output) {
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("phone", result.phone());
      fields.put("account", result.account());
      fields.put("deviceId", result.deviceId());
      output.record("registered", fields);
    } else {
      output.note(
          "registered " + result.phone() + " (account " + result.account() + ", device " + result.deviceId() + ")");
    }
  }
}
