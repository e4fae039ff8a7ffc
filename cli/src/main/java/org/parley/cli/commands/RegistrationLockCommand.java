package org.parley.cli.commands;

import java.util.Map;
import org.parley.cli.output.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "registration-lock",
    mixinStandardHelpOptions = true,
    description = {
      "On the primary: 'set PIN' or 'clear' a PIN that registering this number again will need, besides the"
          + " SMS code.",
      "The lock lapses if the primary stays away for 7 days, so a lost phone does not lose the number for ever."
    })
public final class RegistrationLockCommand extends DeviceCommand<RegistrationLockCommand.Lock> {
  @Parameters(index = "0", paramLabel = "set|clear", description = "'set PIN' or 'clear'.")
  String action;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PIN", description = "4 to 64 characters.")
  String pin;

  public record Params(String pin) {}

  public record Lock(boolean locked) {}

  /** {@code setRegistrationLock}: sets the PIN, or clears the lock when {@code pin} is null. */
  public static final Handler<Params, Lock> SET_REGISTRATION_LOCK =
      Handler.of("setRegistrationLock", Params.class, Lock.class, (device, p, caller) -> {
        device.setRegistrationLock(p.pin());
        return new Lock(p.pin() != null);
      });

  @Override
  protected Lock run(Invoker invoker, Output output) {
    return switch (action) {
      case "set" -> {
        if (pin == null) {
          throw new IllegalArgumentException("give the PIN: parley registration-lock set PIN");
        }
        yield invoker.call(SET_REGISTRATION_LOCK, new Params(pin));
      }
      case "clear" -> invoker.call(SET_REGISTRATION_LOCK, new Params(null));
      default -> throw new IllegalArgumentException("use 'registration-lock set PIN' or 'registration-lock clear'");
    };
  }

  @Override
  protected void render(Lock result, Output output) {
    if (output.json()) {
      output.record("registration-lock", Map.of("locked", result.locked()));
    } else {
      output.note(
          result.locked()
              ? "registration lock set: registering this number again needs the PIN"
              : "registration lock cleared");
    }
  }
}
