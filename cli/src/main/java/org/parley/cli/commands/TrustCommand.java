package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "trust",
    mixinStandardHelpOptions = true,
    description = {
      "Accept a contact's current identity, or mark it verified after comparing the safety number in person.",
      "A contact whose number was registered again is held (sends refused, messages kept unread) when it was"
          + " verified or when trust-new-identities is 'never'; this releases it, and the held messages"
          + " come with the next 'parley receive'."
    })
public final class TrustCommand extends DeviceCommand<Device.Trusted> {
  @Parameters(paramLabel = "+E164", description = "The contact.")
  String phone;

  @Option(
      names = "--verified",
      paramLabel = "SAFETY_NUMBER",
      description = "The safety number you compared (as 'parley safety-number' prints it); it must match.")
  String verified;

  public record Params(String recipient, String verifiedSafetyNumber) {}

  /** {@code trust}: accepts a contact's identity (verified, when the safety number is given and matches). */
  public static final Handler<Params, Device.Trusted> TRUST =
      Handler.of("trust", Params.class, Device.Trusted.class, (device, p, caller) ->
          device.trust(Require.text(p.recipient(), "recipient"), p.verifiedSafetyNumber()));

  @Override
  protected Device.Trusted run(Invoker invoker, Output output) {
    return invoker.call(TRUST, new Params(phone, verified));
  }

  @Override
  protected void render(Device.Trusted result, Output output) {
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("phone", result.phone());
      fields.put("safetyNumber", result.safetyNumber());
      fields.put("verified", result.verified());
      output.record("trust", fields);
    } else {
      output.note(
          (result.verified() ? "verified " : "trusted ") + result.phone() + " (safety number "
              + result.safetyNumber() + ")");
    }
  }
}
