package org.parley.cli.commands;

import java.util.Map;
import org.parley.cli.output.Output;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "settings",
    mixinStandardHelpOptions = true,
    description = {
      "Show or change this profile's settings: 'parley settings trust-new-identities never'.",
      "trust-new-identities: what to do when a contact's number is registered again on a new phone:"
          + " on-first-use (default: accept, and say so before the first message), always (accept), never"
          + " (hold sends and messages until 'parley trust')."
    })
public final class SettingsCommand extends DeviceCommand<SettingsCommand.Settings> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "trust-new-identities")
  String name;

  @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The new value.")
  String value;

  public record Params(String trustNewIdentities) {}

  public record Settings(String trustNewIdentities) {}

  /** {@code updateSettings}: changes the given settings, returns them all. */
  public static final Handler<Params, Settings> SETTINGS =
      Handler.of("updateSettings", Params.class, Settings.class, (device, p, caller) -> {
        if (p.trustNewIdentities() != null) {
          device.trustNewIdentities(p.trustNewIdentities());
        }
        return new Settings(device.trustNewIdentities());
      });

  @Override
  protected Settings run(Invoker invoker, Output output) {
    if (name != null && !name.equals("trust-new-identities")) {
      throw new IllegalArgumentException("unknown setting '" + name + "'; the settings are: trust-new-identities");
    }
    return invoker.call(SETTINGS, new Params(value));
  }

  @Override
  protected void render(Settings result, Output output) {
    output.record("settings", Map.of("trust-new-identities", result.trustNewIdentities()));
  }
}
