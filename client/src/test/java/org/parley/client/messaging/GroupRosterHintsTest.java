package org.parley.client.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.protocol.wire.Group;
import org.parley.protocol.wire.GroupMember;

/** The numbers a group description carries are the operator's text: only bare E.164 numbers are kept. */
class GroupRosterHintsTest {
  @Test
  void onlyBareNumbersAreTakenFromTheServersDescription() {
    UUID plain = UUID.randomUUID();
    UUID dressed = UUID.randomUUID();
    Group described =
        Group.newBuilder()
            .addMembers(GroupMember.newBuilder().setAccountId(plain.toString()).setPhone("+15550000003"))
            .addMembers(GroupMember.newBuilder().setAccountId(dressed.toString()).setPhone("+15550000002 (Bob)\nx"))
            .addMembers(GroupMember.newBuilder().setAccountId("not-an-account").setPhone("+15550000004"))
            .build();

    assertThat(GroupRoster.phones(described)).containsExactly(java.util.Map.entry(plain, "+15550000003"));
  }
}
