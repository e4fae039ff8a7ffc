package org.parley.cli.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.parley.cli.Main;
import org.parley.cli.commands.Handler;
import picocli.CommandLine;

/** Every handler a command declares is served by the daemon: a command added without its method fails here. */
class MethodsTest {
  @Test
  void everyCommandsHandlerIsAMethod() throws Exception {
    Methods methods = Methods.all();
    List<String> missing = new ArrayList<>();
    for (Class<?> type : commandClasses(Main.commandLine(new Main.Context(System.out, System.err, Clock.systemUTC(), Map.of())))) {
      for (Class<?> declaring = type; declaring != null; declaring = declaring.getEnclosingClass()) {
        for (Field field : declaring.getDeclaredFields()) {
          if (Modifier.isStatic(field.getModifiers()) && Handler.class.isAssignableFrom(field.getType())) {
            Handler<?, ?> handler = (Handler<?, ?>) field.get(null);
            if (methods.get(handler.method()) != handler) {
              missing.add(declaring.getSimpleName() + "." + field.getName());
            }
          }
        }
      }
    }
    assertThat(missing).as("add these to Methods.all()").isEmpty();
    // The names the issue promises, signal-cli's where the concept is the same (subscribeReceive and
    // unsubscribeReceive belong to the connection: LineSession).
    assertThat(methods.names())
        .contains(
            "send", "sendReceipt", "listDevices", "addDevice", "removeDevice", "startLink", "startLinkCode", "finishLink",
            "listGroups", "updateGroup", "listContacts", "history", "safetyNumber", "trust", "receive", "version");
  }

  private static List<Class<?>> commandClasses(CommandLine command) {
    List<Class<?>> out = new ArrayList<>();
    out.add(command.getCommand().getClass());
    for (CommandLine sub : command.getSubcommands().values()) {
      out.addAll(commandClasses(sub));
    }
    return out;
  }
}
