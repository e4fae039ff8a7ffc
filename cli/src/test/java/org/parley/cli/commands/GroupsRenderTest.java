package org.parley.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.cli.output.JsonOutput;
import org.parley.cli.output.Output;
import org.parley.cli.output.PlainOutput;
import org.parley.client.GroupChats.GroupView;
import org.parley.client.GroupChats.MemberView;

/**
 * What each {@code groups} command prints, pinned: a sentence for people in plain form (stdout for
 * the new group's ID, so a script can capture it), the group as one JSON object with {@code --json}.
 */
class GroupsRenderTest {
  static final String ID = "Z3JvdXA";
  static final String BOB = "+15550001202";
  static final GroupView GROUP =
      new GroupView(ID, "book\u001b[2J club", 3, true, List.of(new MemberView("+15550001201", true), new MemberView(BOB, false)));
  static final String GROUP_JSON =
      "{\"type\":\"group\",\"id\":\"" + ID + "\",\"name\":\"book\\u001B[2J club\",\"version\":3,\"admin\":true,"
          + "\"members\":[{\"phone\":\"+15550001201\",\"admin\":true},{\"phone\":\"" + BOB + "\",\"admin\":false}]}\n";

  /** stdout and stderr of one render. */
  record Printed(String out, String err) {}

  static <R> Printed render(DeviceCommand<R> command, R result, boolean json) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    Output output = json ? new JsonOutput(o, e) : new PlainOutput(o, e);
    command.render(result, output);
    return new Printed(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static <C extends DeviceCommand<GroupView>> void pinned(C command, Printed plain) {
    assertThat(render(command, GROUP, false)).isEqualTo(plain);
    assertThat(render(command, GROUP, true)).isEqualTo(new Printed(GROUP_JSON, ""));
  }

  @Test
  void createPrintsTheNewIdOnStdoutSoAScriptCanCaptureIt() {
    pinned(new GroupsCommand.Create(), new Printed(ID + "\n", ""));
  }

  @Test
  void eachChangeSaysWhatItDidInPlainFormAndPrintsTheGroupWithJson() {
    GroupsCommand.Add add = new GroupsCommand.Add();
    add.group = ID;
    add.phone = BOB;
    pinned(add, new Printed("added " + BOB + " to group " + ID + "\n", ""));

    GroupsCommand.Remove remove = new GroupsCommand.Remove();
    remove.group = ID;
    remove.phone = BOB;
    pinned(remove, new Printed("removed " + BOB + " from group " + ID + "\n", ""));

    GroupsCommand.Rename rename = new GroupsCommand.Rename();
    rename.group = ID;
    rename.name = "new name";
    pinned(rename, new Printed("renamed group " + ID + "\n", ""));

    GroupsCommand.Admin admin = new GroupsCommand.Admin();
    admin.group = ID;
    admin.phone = BOB;
    pinned(admin, new Printed("made admin " + BOB + " in group " + ID + "\n", ""));
    admin.revoke = true;
    pinned(admin, new Printed("revoked admin " + BOB + " in group " + ID + "\n", ""));
  }

  @Test
  void listPrintsEachGroupAsARecordWithItsNameWithoutEscapes() {
    GroupsCommand.ListGroups list = new GroupsCommand.ListGroups();
    assertThat(render(list, new GroupsCommand.Groups(List.of(GROUP, GROUP)), true).out()).isEqualTo(GROUP_JSON + GROUP_JSON);
    assertThat(render(list, new GroupsCommand.Groups(List.of(GROUP)), false))
        .isEqualTo(new Printed(
            "id: " + ID + "  name: book?[2J club  version: 3  admin: true  members: +15550001201 (admin), " + BOB + "\n", ""));
    assertThat(render(list, new GroupsCommand.Groups(List.of()), true).out()).isEmpty();
  }

  @Test
  void leaveSaysWhichGroupItLeft() {
    GroupsCommand.Leave leave = new GroupsCommand.Leave();
    assertThat(render(leave, new GroupsCommand.Left(ID), false)).isEqualTo(new Printed("left group " + ID + "\n", ""));
    assertThat(render(leave, new GroupsCommand.Left(ID), true))
        .isEqualTo(new Printed("{\"type\":\"left\",\"group\":\"" + ID + "\"}\n", ""));
  }
}
