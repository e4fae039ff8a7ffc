package org.parley.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.parley.cli.commands.AddDeviceCommand;
import org.parley.cli.commands.AdminCommand;
import org.parley.cli.commands.AssignCommand;
import org.parley.cli.commands.AttachmentCommand;
import org.parley.cli.commands.ChatsCommand;
import org.parley.cli.commands.ContactsCommand;
import org.parley.cli.commands.LabelsCommand;
import org.parley.cli.commands.NotesCommand;
import org.parley.cli.commands.DaemonCommand;
import org.parley.cli.commands.DevicesCommand;
import org.parley.cli.commands.GroupsCommand;
import org.parley.cli.commands.HistoryCommand;
import org.parley.cli.commands.LinkCommand;
import org.parley.cli.commands.ReadCommand;
import org.parley.cli.commands.ReceiveCommand;
import org.parley.cli.commands.RegisterCommand;
import org.parley.cli.commands.SafetyNumberCommand;
import org.parley.cli.commands.SendCommand;
import org.parley.cli.commands.RegistrationLockCommand;
import org.parley.cli.commands.ServerCommand;
import org.parley.cli.commands.SettingsCommand;
import org.parley.cli.commands.TrustCommand;
import org.parley.cli.commands.UnlinkCommand;
import org.parley.cli.commands.VerifyCommand;
import org.parley.cli.commands.WebCommand;
import org.parley.client.ClientException;
import org.parley.client.net.ServerException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code parley} command (README.md, commands). */
@Command(
    name = "parley",
    mixinStandardHelpOptions = true,
    version = "parley 0.1.0",
    description = "Self-hosted, end-to-end encrypted messenger: one account, a primary phone and up to four linked devices."
    // The subcommands are in COMMANDS: a command line is built with only the one it runs.
)
public final class Main implements Runnable {
  /** Every subcommand, in the order --help lists them. Add a new command here. */
  static final List<Class<?>> COMMANDS =
      List.of(
          ServerCommand.class,
          AdminCommand.class,
          RegisterCommand.class,
          VerifyCommand.class,
          LinkCommand.class,
          AddDeviceCommand.class,
          DevicesCommand.class,
          UnlinkCommand.class,
          SendCommand.class,
          ReceiveCommand.class,
          HistoryCommand.class,
          GroupsCommand.class,
          ReadCommand.class,
          SafetyNumberCommand.class,
          TrustCommand.class,
          SettingsCommand.class,
          RegistrationLockCommand.class,
          ContactsCommand.class,
          ChatsCommand.class,
          LabelsCommand.class,
          AssignCommand.class,
          NotesCommand.class,
          AttachmentCommand.class,
          DaemonCommand.class,
          WebCommand.class,
          CommandLine.HelpCommand.class);

  // Device options may come before the command, as README.md, commands writes them. They are not
  // inherited: only device commands take (and list) them, so 'parley server --help' does not.
  @Option(
      names = "--profile",
      paramLabel = "DIR",
      description = "A device command's profile directory (default: $PARLEY_PROFILE or ~/.parley/default).")
  Path profile;

  @Option(
      names = "--trust-cert",
      paramLabel = "PEM",
      description = "For a device command: trust this certificate for wss:// (the profile remembers it).")
  Path trustCertificate;

  private final Context context;

  public Main(Context context) {
    this.context = context;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "name a command; see 'parley --help'");
  }

  public Context context() {
    return context;
  }

  /** {@code --profile} as given before the command, or {@code null}. */
  public Path profileBeforeCommand() {
    return profile;
  }

  /** {@code --trust-cert} as given before the command, or {@code null}. */
  public Path trustCertificateBeforeCommand() {
    return trustCertificate;
  }

  /** Streams, clock and environment of one run, so tests can run commands in-process. */
  public record Context(PrintStream out, PrintStream err, Clock clock, Map<String, String> environment) {
    public static Context system() {
      return new Context(System.out, System.err, Clock.systemUTC(), System.getenv());
    }
  }

  /** The whole command line, every subcommand in it. */
  public static CommandLine commandLine(Context context) {
    return commandLine(context, COMMANDS);
  }

  /**
   * The command line for these arguments: when they name a subcommand, only that one is in it.
   * Building the model of every subcommand (picocli reads each one's annotations and fields) would
   * cost a short command like {@code send} a tenth of its start-up.
   */
  static CommandLine commandLine(Context context, String... args) {
    String named = commandName(args);
    for (Class<?> command : COMMANDS) {
      Command annotation = command.getAnnotation(Command.class);
      if (command != CommandLine.HelpCommand.class && annotation.name().equals(named)) {
        return commandLine(context, List.of(command));
      }
    }
    return commandLine(context, COMMANDS); // help, a mistyped command (picocli suggests the right one), none
  }

  /** The first argument that is neither an option of {@code parley} itself nor its value. */
  private static String commandName(String... args) {
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--profile", "--trust-cert" -> i++;
        default -> {
          if (!args[i].startsWith("--profile=") && !args[i].startsWith("--trust-cert=")) {
            return args[i];
          }
        }
      }
    }
    return null;
  }

  private static CommandLine commandLine(Context context, List<Class<?>> commands) {
    CommandLine commandLine = new CommandLine(new Main(context));
    commands.forEach(commandLine::addSubcommand);
    commandLine.setOut(new PrintWriter(context.out(), true));
    commandLine.setErr(new PrintWriter(context.err(), true));
    CommandLine server = commandLine.getSubcommands().get("server");
    if (server != null) {
      ServerCommand.configurable(server, context.environment());
    }
    commandLine.setExecutionExceptionHandler(
        (failure, cmd, parsed) -> {
          context.err().println("parley: " + reason(failure) + retryHint(failure, context.clock()));
          return failure instanceof IllegalArgumentException ? 2 : 1;
        });
    return commandLine;
  }

  private static String reason(Exception failure) {
    if (failure instanceof ClientException
        || failure instanceof IllegalArgumentException
        || failure instanceof IllegalStateException
        || failure instanceof org.parley.server.store.StorageException) {
      return failure.getMessage();
    }
    return failure.getClass().getSimpleName() + ": " + failure.getMessage();
  }

  /** When the server said how long to wait: the time to try again, in this machine's local time. */
  private static String retryHint(Exception failure, Clock clock) {
    if (failure instanceof ServerException refused && refused.retryAfter().isPresent()) {
      var at = clock.instant().plus(refused.retryAfter().get()).plusMillis(999).truncatedTo(ChronoUnit.SECONDS);
      return " (try again after " + DateTimeFormatter.ISO_LOCAL_TIME.format(at.atZone(ZoneId.systemDefault())) + ")";
    }
    return "";
  }

  public static int run(Context context, String... args) {
    return commandLine(context, args).execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(Context.system(), args));
  }
}
