package org.parley.cli.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where a server option gets its value when the command line does not give it: the environment
 * ({@code PARLEY_QUEUE_TTL}), then the config file ({@code queue-ttl = 30d}), then the option's own
 * default. The names are derived mechanically from the option's long name, so every option added to
 * {@code parley server} is configurable both ways without registering anything.
 *
 * <p>picocli asks for defaults after it has matched the command line, so {@code --config} is known
 * by then.
 */
public final class OptionSources implements IDefaultValueProvider {
  public static final String CONFIG_OPTION = "--config";
  public static final String CONFIG_VARIABLE = "PARLEY_CONFIG";

  private final CommandSpec command;
  private final Map<String, String> environment;
  private final java.util.function.Supplier<Path> configPath;
  private ConfigFile file;

  public OptionSources(
      CommandSpec command, Map<String, String> environment, java.util.function.Supplier<Path> configPath) {
    this.command = command;
    this.environment = environment;
    this.configPath = configPath;
  }

  /** {@code --queue-ttl} → {@code queue-ttl}. */
  public static String configKey(OptionSpec option) {
    return option.longestName().substring(2);
  }

  /** {@code --queue-ttl} → {@code PARLEY_QUEUE_TTL}. */
  public static String environmentVariable(OptionSpec option) {
    return "PARLEY_" + configKey(option).replace('-', '_').toUpperCase(Locale.ROOT);
  }

  /** The options an operator may set: this command's own, not help, not the device options it inherits. */
  public static boolean configurable(OptionSpec option) {
    return !option.usageHelp()
        && !option.versionHelp()
        && !option.inherited()
        && option.longestName().startsWith("--")
        && !option.longestName().equals(CONFIG_OPTION);
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.command() != command || !configurable(option)) {
      return null;
    }
    String fromEnvironment = environment.get(environmentVariable(option));
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return fromEnvironment.strip();
    }
    ConfigFile config = config();
    return config == null ? null : config.values().get(configKey(option));
  }

  private ConfigFile config() {
    if (file == null) {
      Path path = configPath.get();
      if (path == null) {
        String fromEnvironment = environment.get(CONFIG_VARIABLE);
        path = fromEnvironment == null || fromEnvironment.isBlank() ? null : Path.of(fromEnvironment.strip());
      }
      if (path == null) {
        return null;
      }
      Set<String> known =
          command.options().stream()
              .filter(OptionSources::configurable)
              .map(OptionSources::configKey)
              .collect(Collectors.toSet());
      try {
        file = ConfigFile.read(path, known);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(command.commandLine(), e.getMessage());
      }
    }
    return file;
  }
}
