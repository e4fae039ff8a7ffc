package org.parley.cli.commands;

import org.parley.cli.output.Output;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code parley assign CHAT --to DEVICE | --none} (DESIGN.md §16): which of the account's own devices
 * (an agent) handles a chat. Every own device shows it, and writes a line saying so into the chat.
 */
@Command(
    name = "assign",
    mixinStandardHelpOptions = true,
    description = "Assign a chat to one of the account's devices as its agent, or take the assignment away.")
public final class AssignCommand extends DeviceCommand<Changed> {
  @Parameters(paramLabel = "CHAT", description = "+E164 for a 1:1 chat, or a group ID.")
  String chat;

  static final class Agent {
    @Option(names = "--to", required = true, paramLabel = "DEVICE", description = "The device's id or name (see 'parley devices').")
    String to;

    @Option(names = "--none", required = true, description = "Nobody handles the chat.")
    boolean none;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Agent agent;

  /** @param device the agent's id or name; {@code null} unassigns */
  public record Params(String chat, String device) {}

  /** {@code assignChat}: assigns a chat to an own device, or unassigns it. */
  public static final Handler<Params, Changed> ASSIGN_CHAT =
      Handler.of("assignChat", Params.class, Changed.class, (device, p, caller) -> {
        String chat = Require.text(p.chat(), "chat");
        return Changed.of(
            p.device() == null ? "unassigned " + chat : "assigned " + chat + " to device " + p.device(),
            device.appState().assign(chat, p.device()));
      });

  @Override
  protected Changed run(Invoker invoker, Output output) {
    return invoker.call(ASSIGN_CHAT, new Params(chat, agent.none ? null : agent.to));
  }

  @Override
  protected void render(Changed result, Output output) {
    result.render(output);
  }
}
