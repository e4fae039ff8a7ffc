package org.parley.cli.commands;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.parley.cli.output.Output;
import org.parley.client.GroupChats;
import org.parley.client.GroupChats.GroupView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code parley groups create|add|remove|rename|admin|leave|list} (DESIGN.md §12). Create, add, remove,
 * rename and admin are one JSON-RPC method, signal-cli's {@code updateGroup}.
 */
@Command(
    name = "groups",
    mixinStandardHelpOptions = true,
    description = "Create groups, add and remove members, rename them and name admins (admins), leave them, list them.",
    subcommands = {
      GroupsCommand.Create.class,
      GroupsCommand.Add.class,
      GroupsCommand.Remove.class,
      GroupsCommand.Rename.class,
      GroupsCommand.Admin.class,
      GroupsCommand.Leave.class,
      GroupsCommand.ListGroups.class
    })
public final class GroupsCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a groups command; see 'parley groups --help'");
  }

  /**
   * Without {@code groupId}: creates a group named {@code name} with {@code members}. With it (admins
   * only): renames it to {@code name}, adds {@code members}, removes {@code removeMembers}, makes
   * {@code admins} admins and {@code removeAdmins} no longer admins, in that order: one signed change
   * for each that is given, whatever the number of members it names.
   */
  public record UpdateParams(
      String groupId, String name, List<String> members, List<String> removeMembers, List<String> admins,
      List<String> removeAdmins) {
    public UpdateParams(String groupId, String name, List<String> members, List<String> removeMembers) {
      this(groupId, name, members, removeMembers, null, null);
    }
  }

  public record Groups(List<GroupView> groups) {}

  public record GroupParams(String groupId) {}

  public record Left(String groupId) {}

  /** {@code updateGroup}: creates a group, or renames it, adds and removes members, names admins. */
  public static final Handler<UpdateParams, GroupView> UPDATE_GROUP =
      Handler.of("updateGroup", UpdateParams.class, GroupView.class, (device, p, caller) -> {
        List<String> add = orEmpty(p.members());
        List<String> remove = orEmpty(p.removeMembers());
        List<String> promote = orEmpty(p.admins());
        List<String> demote = orEmpty(p.removeAdmins());
        GroupChats groups = device.groups();
        if (p.groupId() == null) {
          if (!remove.isEmpty() || !promote.isEmpty() || !demote.isEmpty()) {
            throw new IllegalArgumentException(
                "a new group has no members to remove and you are its only admin: give 'name' and 'members'");
          }
          return groups.create(Require.text(p.name(), "name"), add);
        }
        if (p.name() == null && add.isEmpty() && remove.isEmpty() && promote.isEmpty() && demote.isEmpty()) {
          throw new IllegalArgumentException(
              "give 'name' to rename, 'members' to add, 'removeMembers' to remove, 'admins' or 'removeAdmins'");
        }
        GroupView view = null;
        if (p.name() != null) {
          view = groups.rename(p.groupId(), p.name());
        }
        // Each list is one signed change, however long: every member's devices take in one notice for it.
        if (!add.isEmpty()) {
          view = groups.add(p.groupId(), add);
        }
        if (!remove.isEmpty()) {
          view = groups.remove(p.groupId(), remove);
        }
        if (!promote.isEmpty()) {
          view = groups.setAdmin(p.groupId(), promote, true);
        }
        if (!demote.isEmpty()) {
          view = groups.setAdmin(p.groupId(), demote, false);
        }
        return view;
      });

  private static List<String> orEmpty(List<String> list) {
    return list == null ? List.of() : list;
  }

  /** {@code quitGroup}: leaves a group. */
  public static final Handler<GroupParams, Left> QUIT_GROUP =
      Handler.of("quitGroup", GroupParams.class, Left.class, (device, p, caller) -> {
        device.groups().leave(Require.text(p.groupId(), "groupId"));
        return new Left(p.groupId());
      });

  /** {@code listGroups}: this account's groups as the server lists them now. */
  public static final Handler<Handler.None, Groups> LIST_GROUPS =
      Handler.of("listGroups", Handler.None.class, Groups.class, (device, p, caller) -> new Groups(device.groups().list()));

  /** A group as one record: members with their admin mark in plain form, a list in JSON. */
  static void print(Output output, GroupView group) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("id", group.id());
    fields.put("name", output.json() || group.name() == null ? group.name() : org.parley.cli.output.SafeText.shown(group.name()));
    fields.put("version", group.version());
    fields.put("admin", group.admin());
    if (output.json()) {
      List<Map<String, Object>> members = new ArrayList<>();
      for (GroupChats.MemberView m : group.members()) {
        // In a fixed order, and "admin" always there: a script need not know that a missing key means no.
        Map<String, Object> member = new LinkedHashMap<>();
        member.put("phone", m.phone());
        member.put("admin", m.admin());
        members.add(member);
      }
      fields.put("members", members);
    } else {
      fields.put(
          "members",
          group.members().stream()
              .map(m -> m.phone() + (m.admin() ? " (admin)" : ""))
              .collect(Collectors.joining(", ")));
    }
    output.record("group", fields);
  }

  /**
   * A command that changes a group: with --json the group as it now is, the same record as {@code list}
   * prints; in plain form one line: what was done, or the new group's ID (a script captures it).
   */
  abstract static class Change extends DeviceCommand<GroupView> {
    /** The plain-form line: what the command did. */
    abstract String done(GroupView changed);

    @Override
    protected final void render(GroupView changed, Output output) {
      if (output.json()) {
        print(output, changed);
      } else {
        output.note(done(changed));
      }
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a group with you as its admin; prints the new group's ID.")
  static final class Create extends Change {
    @Parameters(paramLabel = "NAME", description = "The group's name.")
    String name;

    @Option(names = "--member", required = true, paramLabel = "+E164", description = "A member's phone number (repeat for more).")
    List<String> members;

    @Override
    protected GroupView run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_GROUP, new UpdateParams(null, name, members, null));
    }

    @Override
    String done(GroupView group) {
      return group.id();
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a member to a group (admins only).")
  static final class Add extends Change {
    @Parameters(index = "0", paramLabel = "ID", description = "The group's ID.")
    String group;

    @Parameters(index = "1", paramLabel = "+E164", description = "The new member's phone number.")
    String phone;

    @Override
    protected GroupView run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_GROUP, new UpdateParams(group, null, List.of(phone), null));
    }

    @Override
    String done(GroupView changed) {
      return "added " + phone + " to group " + group;
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Remove a member from a group (admins only); it cannot read what is sent after.")
  static final class Remove extends Change {
    @Parameters(index = "0", paramLabel = "ID", description = "The group's ID.")
    String group;

    @Parameters(index = "1", paramLabel = "+E164", description = "The member's phone number.")
    String phone;

    @Override
    protected GroupView run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_GROUP, new UpdateParams(group, null, null, List.of(phone)));
    }

    @Override
    String done(GroupView changed) {
      return "removed " + phone + " from group " + group;
    }
  }

  @Command(name = "rename", mixinStandardHelpOptions = true, description = "Rename a group (admins only).")
  static final class Rename extends Change {
    @Parameters(index = "0", paramLabel = "ID", description = "The group's ID.")
    String group;

    @Parameters(index = "1", paramLabel = "NAME", description = "The new name (1 to 100 characters).")
    String name;

    @Override
    protected GroupView run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_GROUP, new UpdateParams(group, name, null, null));
    }

    @Override
    String done(GroupView changed) {
      return "renamed group " + group;
    }
  }

  @Command(
      name = "admin",
      mixinStandardHelpOptions = true,
      description = "Make a member an admin, or with --revoke no longer one (admins only); the last admin stays.")
  static final class Admin extends Change {
    @Parameters(index = "0", paramLabel = "ID", description = "The group's ID.")
    String group;

    @Parameters(index = "1", paramLabel = "+E164", description = "The member's phone number.")
    String phone;

    @Option(names = "--revoke", description = "Take the admin role away instead.")
    boolean revoke;

    @Override
    protected GroupView run(Invoker invoker, Output output) {
      List<String> member = List.of(phone);
      return invoker.call(
          UPDATE_GROUP, new UpdateParams(group, null, null, null, revoke ? null : member, revoke ? member : null));
    }

    @Override
    String done(GroupView changed) {
      return (revoke ? "revoked admin " : "made admin ") + phone + " in group " + group;
    }
  }

  @Command(name = "leave", mixinStandardHelpOptions = true, description = "Leave a group.")
  static final class Leave extends DeviceCommand<Left> {
    @Parameters(paramLabel = "ID", description = "The group's ID.")
    String group;

    @Override
    protected Left run(Invoker invoker, Output output) {
      return invoker.call(QUIT_GROUP, new GroupParams(group));
    }

    @Override
    protected void render(Left left, Output output) {
      if (output.json()) {
        output.record("left", Map.of("group", left.groupId()));
      } else {
        output.note("left group " + left.groupId());
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List your groups and their members.")
  static final class ListGroups extends DeviceCommand<Groups> {
    @Override
    protected Groups run(Invoker invoker, Output output) {
      return invoker.call(LIST_GROUPS, new Handler.None());
    }

    @Override
    protected void render(Groups result, Output output) {
      result.groups().forEach(group -> print(output, group));
    }
  }
}
