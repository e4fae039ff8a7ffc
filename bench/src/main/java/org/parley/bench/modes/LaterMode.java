package org.parley.bench.modes;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Modes whose server features arrive with later issues; they say so instead of pretending. */
public final class LaterMode {
  private LaterMode() {}

  @Command(
      name = "group",
      mixinStandardHelpOptions = true,
      description = "Group fan-out with sender keys to every member device. Comes with the groups issue (#6).")
  public static final class Group implements Callable<Integer> {
    @Override
    public Integer call() {
      System.err.println("the group mode is not built yet: it comes with groups (issue #6)");
      return 2;
    }
  }
}
