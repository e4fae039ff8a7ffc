package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "unlink",
    mixinStandardHelpOptions = true,
    description = "Remove a companion (on the primary: 'unlink ID'), or this companion ('unlink --self').")
public final class UnlinkCommand extends DeviceCommand<UnlinkCommand.Removed> {
  static final class Target {
    @Parameters(paramLabel = "DEVICE_ID", description = "The companion to remove (see 'parley devices').")
    Integer deviceId;

    @Option(names = "--self", required = true, description = "Unlink this companion device.")
    boolean self;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  /** @param self unlink this device (a companion) instead of {@code deviceId} */
  public record Params(Integer deviceId, Boolean self) {}

  public record Removed(Integer deviceId, boolean self) {}

  /** {@code removeDevice}: on the primary, unlinks a companion; {@code self}: this companion unlinks itself. */
  public static final Handler<Params, Removed> REMOVE_DEVICE =
      Handler.of("removeDevice", Params.class, Removed.class, (device, p, caller) -> {
        boolean self = Boolean.TRUE.equals(p.self());
        Require.oneOf(self ? Boolean.TRUE : null, "self", p.deviceId(), "deviceId");
        if (self) {
          device.unlinkSelf();
        } else {
          device.unlink(p.deviceId());
        }
        return new Removed(p.deviceId(), self);
      });

  @Override
  protected Removed run(Invoker invoker, Output output) {
    return invoker.call(REMOVE_DEVICE, new Params(target.deviceId, target.self ? Boolean.TRUE : null));
  }

  @Override
  protected void render(Removed result, Output output) {
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("deviceId", result.deviceId());
      fields.put("self", result.self());
      output.record("device-removed", fields);
    } else if (result.self()) {
      output.note("this device is unlinked; link it again with 'parley link'");
    } else {
      output.note("device " + result.deviceId() + " is unlinked");
    }
  }
}
