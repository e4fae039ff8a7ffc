package org.parley.cli.commands;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.cli.output.ProgressBar;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.LoggedEvent;
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
public final class LinkCommand extends DeviceCommand<LinkCommand.Linked> {
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

  @Option(
      names = "--code",
      description = {
        "Show an 8-character code (XXXX-XXXX, good for 180 s and 3 tries) instead of a QR code;",
        "type it on the primary with 'parley add-device --code XXXX-XXXX'."
      })
  boolean code;

  /** How long to wait for the primary's history after linking (it exports first). */
  private static final Duration HISTORY_WAIT = Duration.ofSeconds(60);

  public record StartParams(String server, String name, String kind) {}

  public record Invitation(String uri, long expiresAt) {}

  public record Linked(int deviceId, String phone, String account, boolean historyImported) {}

  /** {@code startLink}: opens the provisioning socket; returns the QR code's line to show. */
  public static final Handler<StartParams, Invitation> START_LINK =
      Handler.of("startLink", StartParams.class, Invitation.class, (device, p, caller) -> {
        CompanionLinker.Invitation invitation =
            device.startLink(
                Require.text(p.server(), "server"), p.name(), LinkUri.kind(p.kind() == null ? "desktop" : p.kind()));
        return new Invitation(invitation.uri(), invitation.expiresAt());
      });

  public record CodeInvitation(String code, long expiresAt) {}

  /**
   * {@code startLinkCode}: opens the provisioning socket and files an 8-character code with the
   * server (docs/PROTOCOL.md §6.1); returns the code to show. Then {@code finishLink} and {@code awaitHistory}.
   */
  public static final Handler<StartParams, CodeInvitation> START_LINK_CODE =
      Handler.of("startLinkCode", StartParams.class, CodeInvitation.class, (device, p, caller) -> {
        CompanionLinker.Invitation invitation =
            device.startLink(
                Require.text(p.server(), "server"), p.name(), LinkUri.kind(p.kind() == null ? "desktop" : p.kind()),
                true);
        return new CodeInvitation(invitation.code(), invitation.expiresAt());
      });

  /** {@code finishLink}: waits until the primary adds this device (after {@code startLink}). */
  public static final Handler<Handler.None, Linked> FINISH_LINK =
      Handler.waiting("finishLink", Handler.None.class, Linked.class, (device, p, caller) -> {
        CompanionLinker.Result linked = device.finishLink();
        return new Linked(linked.deviceId(), linked.phone(), linked.account().toString(), false);
      });

  public record AwaitParams(Double timeout) {}

  public record HistoryWait(boolean imported) {}

  /**
   * {@code awaitHistory}: on a new companion, takes in what arrives until the primary's history is
   * imported or nothing has come for {@code timeout} seconds; progress is handed on as live {@code
   * history-sync} events.
   */
  public static final Handler<AwaitParams, HistoryWait> AWAIT_HISTORY =
      Handler.waiting("awaitHistory", AwaitParams.class, HistoryWait.class, (device, p, caller) -> {
        Duration idle = p.timeout() == null ? HISTORY_WAIT : Duration.ofMillis((long) (p.timeout() * 1000));
        return new HistoryWait(device.awaitHistory(idle, caller::live));
      });

  @Override
  protected Linked run(Invoker invoker, Output output) {
    if (code) {
      CodeInvitation shown = invoker.call(START_LINK_CODE, new StartParams(server, name, kind));
      output.note(shown.code());
      output.note(
          "type it on the primary: 'parley add-device --code " + shown.code() + "'; it works once, 3 tries,"
              + " until " + Instant.ofEpochMilli(shown.expiresAt()));
    } else {
      showQrCode(invoker.call(START_LINK, new StartParams(server, name, kind)), output);
    }
    Linked linked = invoker.call(FINISH_LINK, new Handler.None());
    if (!output.json()) {
      output.note(
          "linked as device " + linked.deviceId() + " of " + linked.phone() + " (account " + linked.account() + ")");
    }
    boolean imported = invoker.call(AWAIT_HISTORY, new AwaitParams(null)).imported();
    return new Linked(linked.deviceId(), linked.phone(), linked.account(), imported);
  }

  private void showQrCode(Invitation invitation, Output output) {
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

  @Override
  protected Caller caller(Output output) {
    ProgressBar progress = new ProgressBar(main().context().err());
    return new Caller() {
      @Override
      public void event(LoggedEvent event) {
        live(event.event());
      }

      @Override
      public void live(ClientEvent event) {
        if (event instanceof HistorySyncEvent history) {
          progress.show(history);
        } else if (event instanceof WarningEvent) {
          output.event(event);
        }
      }
    };
  }

  @Override
  protected void render(Linked result, Output output) {
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("deviceId", result.deviceId());
      fields.put("phone", result.phone());
      fields.put("account", result.account());
      fields.put("historyImported", result.historyImported());
      output.record("linked", fields);
      return;
    }
    output.note(
        result.historyImported()
            ? "history imported; this device is ready"
            : "no history arrived yet; 'parley receive' will import it when the primary sends it");
  }
}
