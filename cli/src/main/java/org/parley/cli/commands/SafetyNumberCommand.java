package org.parley.cli.commands;

import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "safety-number",
    mixinStandardHelpOptions = true,
    description = {
      "Print the safety number shared with a contact; compare it in person.",
      "It covers both accounts' primary identity keys, so it does not change when companions come and go."
    })
public final class SafetyNumberCommand extends DeviceCommand {
  @Parameters(paramLabel = "+E164", description = "The contact.")
  String phone;

  @Option(names = "--json", description = "Print a JSON object.")
  boolean json;

  @Override
  protected boolean json() {
    return json;
  }

  @Override
  protected int run(Device device, Output output) {
    String number = device.safetyNumber(phone);
    if (json) {
      output.record("safety-number", Map.of("with", phone, "safetyNumber", number));
    } else {
      StringBuilder grouped = new StringBuilder();
      for (int i = 0; i < number.length(); i += 5) {
        grouped.append(number, i, Math.min(number.length(), i + 5)).append(i % 20 == 15 ? "\n" : " ");
      }
      output.note(grouped.toString().strip());
    }
    return 0;
  }
}
