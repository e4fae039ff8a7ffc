package org.parley.cli.commands;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options of a command acting on a device profile. They are accepted after the command ({@code
 * parley send --profile DIR ...}) and, as DESIGN.md §12 writes them, before it ({@code parley
 * --profile DIR send ...}); only device commands list them in their help.
 */
public final class ProfileOptions {
  @Option(
      names = "--profile",
      paramLabel = "DIR",
      description = "This device's profile directory (default: $PARLEY_PROFILE or ~/.parley/default).")
  Path profile;

  @Option(
      names = "--trust-cert",
      paramLabel = "PEM",
      description = "Trust this certificate for wss:// (a server with a private CA); the profile remembers it.")
  Path trustCertificate;

  /** This command's profile directory: its own option, else the one before the command, else the default. */
  public Path directory(Path beforeCommand, Map<String, String> environment) {
    if (profile != null) {
      return profile;
    }
    if (beforeCommand != null) {
      return beforeCommand;
    }
    String fromEnvironment = environment.get("PARLEY_PROFILE");
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return Path.of(fromEnvironment);
    }
    return Path.of(System.getProperty("user.home"), ".parley", "default");
  }

  public Path trustCertificate(Path beforeCommand) {
    return trustCertificate != null ? trustCertificate : beforeCommand;
  }
}
