package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "safety-number",
    mixinStandardHelpOptions = true,
    description = {
      "Print the safety number shared with a contact; compare it in person.",
      "It covers both accounts' primary identity keys, so it does not change when companions come and go."
    })
public final class SafetyNumberCommand extends DeviceCommand<SafetyNumberCommand.SafetyNumber> {
  @Parameters(paramLabel = "+E164", description = "The contact.")
  String phone;

  public record Params(String recipient) {}

  public record SafetyNumber(String with, String safetyNumber) {}

  /** {@code safetyNumber}: the number this account and a contact compare in person. */
  public static final Handler<Params, SafetyNumber> SAFETY_NUMBER =
      Handler.of("safetyNumber", Params.class, SafetyNumber.class, (device, p, caller) -> {
        String with = Require.text(p.recipient(), "recipient");
        return new SafetyNumber(with, device.safetyNumber(with));
      });

  @Override
  protected SafetyNumber run(Invoker invoker, Output output) {
    return invoker.call(SAFETY_NUMBER, new Params(phone));
  }

  @Override
  protected void render(SafetyNumber result, Output output) {
    String number = result.safetyNumber();
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("with", result.with());
      fields.put("safetyNumber", number);
      output.record("safety-number", fields);
    } else {
      StringBuilder grouped = new StringBuilder();
      for (int i = 0; i < number.length(); i += 5) {
        grouped.append(number, i, Math.min(number.length(), i + 5)).append(i % 20 == 15 ? "\n" : " ");
      }
      output.note(grouped.toString().strip());
    }
  }
}
