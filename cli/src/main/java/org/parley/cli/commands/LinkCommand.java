package org.parley.cli.commands;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.parley.cli.output.Output;
import org.parley.cli.output.ProgressBar;
import org.parley.client.Device;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.WarningEvent;
import org.parley.client.linking.CompanionLinker;
import org.parley.client.linking.LinkUri;
import org.parley.client.linking.QrCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "link",
    mixinStandardHelpOptions = true,
    description = {
      "Become a companion device: print the QR code and its 'parley://link?' line, wait until the",
      "primary adds this device ('parley add-device' there), import the history, exit 0."
    })
public final class LinkCommand extends DeviceCommand {
  @Option(names = "--server", required = true, paramLabel = "URL", description = "The server, e.g. ws://127.0.0.1:8080.")
  String server;

  @Option(names = "--name", paramLabel = "NAME", description = "This device's name, shown in 'parley devices'.")
  String name;

  @Option(
      names = "--kind",
      paramLabel = "phone|desktop|web",
      description = "What this device is (default: ${DEFAULT-VALUE}).")
  String kind = "desktop";

  @Option(names = "--qr-png", paramLabel = "FILE", description = "Also write the QR code as a PNG image.")
  Path qrPng;

  /** How long to wait for the primary's history after linking (it exports first). */
  private static final Duration HISTORY_WAIT = Duration.ofSeconds(60);

  @Override
  protected int run(Device device, Output output) {
    CompanionLinker.Result linked =
        device.link(server, name, LinkUri.kind(kind), invitation -> show(invitation, output));
    output.note(
        "linked as device " + linked.deviceId() + " of " + linked.phone() + " (account " + linked.account() + ")");
    ProgressBar progress = new ProgressBar(main().context().err());
    boolean imported =
        device.awaitHistory(HISTORY_WAIT, event -> {
          if (event instanceof HistorySyncEvent history) {
            progress.show(history);
          } else if (event instanceof WarningEvent) {
            output.event(event);
          }
        });
    output.note(
        imported
            ? "history imported; this device is ready"
            : "no history arrived yet; 'parley receive' will import it when the primary sends it");
    return 0;
  }

  private void show(CompanionLinker.Invitation invitation, Output output) {
    output.note(QrCodes.terminal(invitation.uri()));
    if (qrPng != null) {
      QrCodes.writePng(invitation.uri(), qrPng);
      output.note("QR code written to " + qrPng);
    }
    output.note(invitation.uri());
    output.note(
        "scan it with the primary ('parley add-device --qr-png FILE' or '--uri LINE'); it expires at "
            + Instant.ofEpochMilli(invitation.expiresAt()));
  }
}
