package org.parley.cli.commands;

import picocli.CommandLine.Option;

/** The {@code --json} option, one mixin for every command that prints something. */
public final class JsonOption {
  @Option(names = "--json", description = "Print JSON: one object per line (sentences go to stderr).")
  boolean json;

  public boolean json() {
    return json;
  }
}
