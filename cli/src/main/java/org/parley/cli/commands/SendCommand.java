package org.parley.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import org.parley.client.attachments.AttachmentUploader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "send",
    mixinStandardHelpOptions = true,
    description = {
      "Send a text and files; exits 0 once the server has stored it for every device. Each file is",
      "encrypted with a fresh key and uploaded first; if that breaks off, the same send again continues",
      "each upload where it stopped. If the server cannot be reached once the files are up, the message",
      "is kept and sent in order later, and the exit code is 75."
    })
public final class SendCommand extends DeviceCommand<SendCommand.Sent> {
  static final class Target {
    @Option(names = "--to", required = true, paramLabel = "+E164", description = "The contact's phone number.")
    String to;

    @Option(names = "--group", required = true, paramLabel = "ID", description = "A group's id.")
    String group;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(
      names = "--attachment",
      paramLabel = "FILE",
      description = "A file to send with the message (repeat for several, at most 32).")
  List<Path> attachments = new ArrayList<>();

  @Parameters(paramLabel = "TEXT", arity = "0..1", description = "The message (may be left out when files are sent).")
  String text;

  /**
   * signal-cli's names: one of {@code recipient} (a number) and {@code groupId}, the {@code message},
   * and {@code attachments}: paths of files to send, absolute (the daemon runs elsewhere); taken
   * only from the profile's owner ({@link Caller#owner()}).
   */
  public record Params(String recipient, String groupId, String message, List<String> attachments) {}

  /**
   * @param declined devices that got nothing because their primary did not vouch for them
   * @param status {@code sent}, or {@code pending}: the server could not be reached; the message is
   *     kept and sent in order once the device is connected again (a daemon does that by itself)
   */
  public record Sent(
      String id, String to, String group, long timestamp, long serverTimestamp, List<String> declined, String status,
      List<String> attachments) {}

  /** The exit code of a send kept for later (EX_TEMPFAIL): not an error, not stored on the server yet. */
  public static final int PENDING_EXIT = 75;

  /** {@code send}: a text to a contact or a group; returns once the server has stored it for every device. */
  public static final Handler<Params, Sent> SEND =
      Handler.of("send", Params.class, Sent.class, (device, p, caller) -> {
        Require.oneOf(p.recipient(), "recipient", p.groupId(), "groupId");
        String message = p.message() == null ? "" : p.message();
        List<AttachmentUploader.Outgoing> files = new ArrayList<>();
        if (p.attachments() != null && !p.attachments().isEmpty()) {
          Require.owner(caller, "'attachments'",
              "run 'parley send --attachment FILE' on this machine, or call over the profile's control socket");
        }
        for (String file : p.attachments() == null ? List.<String>of() : p.attachments()) {
          Path path = Path.of(file);
          if (!path.isAbsolute()) {
            throw new IllegalArgumentException("attachments are named by absolute paths: " + file);
          }
          files.add(AttachmentUploader.Outgoing.of(path));
        }
        if (message.isEmpty() && files.isEmpty()) {
          throw new IllegalArgumentException("nothing to send: give a text, a file (--attachment), or both");
        }
        Device.SendResult sent = device.send(p.recipient(), p.groupId(), message, files);
        return new Sent(
            sent.messageId(), p.recipient(), p.groupId(), sent.timestamp(), sent.serverTimestamp(), sent.declined(),
            sent.status(), sent.attachments());
      });

  @Override
  protected Sent run(Invoker invoker, Output output) {
    List<String> files = attachments.stream().map(f -> f.toAbsolutePath().normalize().toString()).toList();
    return invoker.call(SEND, new Params(target.to, target.group, text, files));
  }

  @Override
  protected void render(Sent sent, Output output) {
    for (String declined : sent.declined()) {
      output.note("warning: not sent to " + declined + ": not vouched for by its primary");
    }
    if (pending(sent)) {
      output.note(
          "not sent yet: the server cannot be reached; the message is kept and goes out, in order, when this device"
              + " is next connected (a running 'parley daemon' does that by itself)");
    }
    if (output.json()) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("id", sent.id());
      fields.put("to", sent.to());
      fields.put("group", sent.group());
      fields.put("timestamp", sent.timestamp());
      fields.put("serverTimestamp", sent.serverTimestamp());
      fields.put("status", sent.status());
      if (sent.attachments() != null && !sent.attachments().isEmpty()) {
        fields.put("attachments", sent.attachments());
      }
      output.record("sent", fields);
    }
  }

  private static boolean pending(Sent sent) {
    return "pending".equals(sent.status());
  }

  @Override
  protected int exitCode(Sent sent) {
    return pending(sent) ? PENDING_EXIT : 0;
  }
}
