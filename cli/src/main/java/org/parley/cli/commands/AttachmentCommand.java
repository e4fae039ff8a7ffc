package org.parley.cli.commands;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.cli.output.SafeText;
import org.parley.client.events.AttachmentView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code parley attachment get} (docs/PROTOCOL.md §14; README.md, commands): a received file, fetched and verified on demand. */
@Command(
    name = "attachment",
    mixinStandardHelpOptions = true,
    description = "Received files: fetch, verify and decrypt one on demand.",
    subcommands = {AttachmentCommand.Get.class})
public final class AttachmentCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name an attachment command; see 'parley attachment --help'");
  }

  /**
   * @param out an absolute path to copy the verified file to, or null; only from the owner ({@link Caller#owner()})
   * @param force whether a file at {@code out} is replaced (by default it is refused); null means false
   */
  public record GetParams(String id, String out, Boolean force) {
    public GetParams(String id, String out) {
      this(id, out, null);
    }
  }

  /**
   * {@code getAttachment}: fetches (unless fetched already), verifies, stores; copies to {@code out} if
   * given. It runs beside the device's other calls, not alone: a download of 100 MB must not hold up
   * a send from the page or a script meanwhile. That is safe because it touches no session or group
   * state, only the attachment's own row and files, and downloads take the attachments' own lock
   * (the one the receive loop's fetching takes), so two never write the same file.
   */
  public static final Handler<GetParams, AttachmentView> GET_ATTACHMENT =
      Handler.waiting("getAttachment", GetParams.class, AttachmentView.class, (device, p, caller) -> {
        Require.text(p.id(), "id");
        Path out = null;
        if (p.out() != null) {
          Require.owner(caller, "'out'",
              "leave 'out' out: the answer's 'path' names the verified file in the profile's attachments/ directory");
          out = Path.of(p.out());
          if (!out.isAbsolute()) {
            throw new IllegalArgumentException("'out' must be an absolute path: " + p.out());
          }
        }
        return device.attachment(p.id(), out, Boolean.TRUE.equals(p.force()));
      });

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = {
        "Fetch a received attachment (its id is in 'receive --json' and 'history --json'): its size, digest",
        "and MAC are checked before any plaintext is written; it is kept in the profile's attachments/",
        "directory under a name made up there, and copied to --out if given. A download that broke off",
        "continues where it stopped. An id that starts with '-' goes after '--': attachment get -- -AbC..."
      })
  static final class Get extends DeviceCommand<AttachmentView> {
    @Parameters(index = "0", paramLabel = "ID", description = "The attachment's id.")
    String id;

    @Option(
        names = "--out",
        paramLabel = "FILE",
        description = "Also write the file here, whole or not at all (it must not exist yet, unless --force).")
    Path out;

    @Option(names = "--force", description = "With --out: replace FILE if it exists.")
    boolean force;

    @Override
    protected AttachmentView run(Invoker invoker, Output output) {
      String target = out == null ? null : out.toAbsolutePath().normalize().toString();
      if (force && out == null) {
        throw new IllegalArgumentException("--force goes with --out FILE (the file it may replace)");
      }
      return invoker.call(GET_ATTACHMENT, new GetParams(id, target, force ? Boolean.TRUE : null));
    }

    @Override
    protected void render(AttachmentView attachment, Output output) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("id", attachment.id());
      fields.put("contentType", attachment.contentType());
      fields.put("size", attachment.size());
      fields.put("fileName", output.json() ? attachment.fileName() : SafeText.shown(attachment.fileName()));
      fields.put("path", attachment.path());
      if (out != null) {
        fields.put("out", out.toAbsolutePath().normalize().toString());
      }
      output.record("attachment", fields);
    }
  }
}
