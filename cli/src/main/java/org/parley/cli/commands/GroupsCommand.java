package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.parley.cli.output.Output;
import org.parley.client.Device;
import org.parley.client.GroupChats.GroupView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code parley groups create|add|remove|leave|list} (DESIGN.md §12). */
@Command(
    name = "groups",
    mixinStandardHelpOptions = true,
    description = "Create groups, add and remove members (admins), leave them, list them.",
    subcommands = {
      GroupsCommand.Create.class,
      GroupsCommand.Add.class,
      GroupsCommand.Remove.class,
      GroupsCommand.Leave.class,
      GroupsCommand.ListGroups.class
    })
public final class GroupsCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a groups command; see 'parley groups --help'");
  }

  /** The base of the subcommands: {@code --json} prints the group as one JSON object. */
  abstract static class GroupCommand extends DeviceCommand {
    @Option(names = "--json", description = "Print the group as a JSON object.")
    boolean json;

    @Override
    protected boolean json() {
      return json;
    }

    void print(Output output, GroupView group) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("id", group.id());
      fields.put("name", group.name());
      fields.put("version", group.version());
      fields.put("admin", group.admin());
      if (json) {
        fields.put(
            "members",
            group.members().stream().map(m -> Map.<String, Object>of("phone", m.phone(), "admin", m.admin())).toList());
      } else {
        fields.put(
            "members",
            group.members().stream()
                .map(m -> m.phone() + (m.admin() ? " (admin)" : ""))
                .collect(Collectors.joining(", ")));
      }
      output.record("group", fields);
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a group with you as its admin; prints the new group's ID.")
  static final class Create extends GroupCommand {
    @Parameters(paramLabel = "NAME", description = "The group's name.")
    String name;

    @Option(names = "--member", required = true, paramLabel = "+E164", description = "A member's phone number (repeat for more).")
    List<String> members;

    @Override
    protected int run(Device device, Output output) {
      GroupView group = device.groups().create(name, members);
      if (json) {
        print(output, group);
      } else {
        output.note(group.id());
      }
      return 0;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a member to a group (admins only).")
  static final class Add extends GroupCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The group's ID.")
    String group;

    @Parameters(index = "1", paramLabel = "+E164", description = "The new member's phone number.")
    String phone;

    @Override
    protected int run(Device device, Output output) {
      GroupView changed = device.groups().add(group, phone);
      if (json) {
        print(output, changed);
      } else {
        output.note("added " + phone + " to group " + group);
      }
      return 0;
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Remove a member from a group (admins only); it cannot read what is sent after.")
  static final class Remove extends GroupCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The group's ID.")
    String group;

    @Parameters(index = "1", paramLabel = "+E164", description = "The member's phone number.")
    String phone;

    @Override
    protected int run(Device device, Output output) {
      GroupView changed = device.groups().remove(group, phone);
      if (json) {
        print(output, changed);
      } else {
        output.note("removed " + phone + " from group " + group);
      }
      return 0;
    }
  }

  @Command(name = "leave", mixinStandardHelpOptions = true, description = "Leave a group.")
  static final class Leave extends DeviceCommand {
    @Parameters(paramLabel = "ID", description = "The group's ID.")
    String group;

    @Override
    protected int run(Device device, Output output) {
      device.groups().leave(group);
      output.note("left group " + group);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List your groups and their members.")
  static final class ListGroups extends GroupCommand {
    @Override
    protected int run(Device device, Output output) {
      for (GroupView group : device.groups().list()) {
        print(output, group);
      }
      return 0;
    }
  }
}
