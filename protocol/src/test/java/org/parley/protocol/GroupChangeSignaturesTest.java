package org.parley.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.parley.protocol.GroupChangeSignatures.Membership;
import org.parley.protocol.wire.MembershipChange;
import org.parley.protocol.wire.SignedMembershipChange;
import org.signal.libsignal.protocol.IdentityKeyPair;

class GroupChangeSignaturesTest {
  private final String group = UUID.randomUUID().toString();
  private final UUID alice = UUID.randomUUID();
  private final UUID bob = UUID.randomUUID();
  private final UUID carol = UUID.randomUUID();
  private final UUID eve = UUID.randomUUID();
  private final IdentityKeyPair aliceKey = IdentityKeyPair.generate();

  private MembershipChange.Builder change(long version, UUID signer, List<UUID> members, List<UUID> admins) {
    MembershipChange.Builder out =
        MembershipChange.newBuilder()
            .setGroupId(group)
            .setVersion(version)
            .setName("climbing")
            .setSignerAccount(signer.toString())
            .setSignerDevice(1)
            .setIssuedAt(1_700_000_000_000L);
    members.forEach(m -> out.addMembers(m.toString()));
    admins.forEach(a -> out.addAdmins(a.toString()));
    return out;
  }

  private Membership created() throws GroupChangeException {
    MembershipChange creation = change(1, alice, List.of(alice, bob), List.of(alice)).build();
    return GroupChangeSignatures.creation(GroupChangeSignatures.parse(GroupChangeSignatures.sign(creation, aliceKey)));
  }

  @Test
  void aChangeVerifiesOnlyWithTheKeyOfTheDeviceThatSignedItAndOnlyAsSigned() {
    SignedMembershipChange signed =
        GroupChangeSignatures.sign(change(1, alice, List.of(alice), List.of(alice)).build(), aliceKey);
    assertThat(GroupChangeSignatures.verifySignature(signed, aliceKey.getPublicKey())).isTrue();
    assertThat(GroupChangeSignatures.verifySignature(signed, IdentityKeyPair.generate().getPublicKey())).isFalse();

    byte[] tampered = signed.getChange().toByteArray();
    tampered[tampered.length - 1] ^= 1;
    assertThat(GroupChangeSignatures.verifySignature(
            signed.toBuilder().setChange(ByteString.copyFrom(tampered)).build(), aliceKey.getPublicKey()))
        .isFalse();
    assertThatThrownBy(() -> GroupChangeSignatures.parse(signed.toBuilder().clearSignature().build()))
        .isInstanceOf(GroupChangeException.class).hasMessageContaining("not signed");
  }

  @Test
  void aGroupIsCreatedByItsOnlyAdminWithEveryMemberAdded() throws Exception {
    Membership group = created();
    assertThat(group.members()).containsExactly(alice, bob);
    assertThat(group.admins()).containsExactly(alice);

    MembershipChange twoAdmins = change(1, alice, List.of(alice, bob), List.of(alice, bob)).build();
    assertThatThrownBy(() -> GroupChangeSignatures.creation(twoAdmins)).hasMessageContaining("only admin");
    MembershipChange byAnother = change(1, eve, List.of(alice, eve), List.of(alice)).build();
    assertThatThrownBy(() -> GroupChangeSignatures.creation(byAnother)).hasMessageContaining("only admin");
    MembershipChange removing = change(1, alice, List.of(alice), List.of(alice)).addRemoved(bob.toString()).build();
    assertThatThrownBy(() -> GroupChangeSignatures.creation(removing)).hasMessageContaining("members only");
  }

  @Test
  void anAdminAddsAndRemovesButAMemberMayOnlyLeave() throws Exception {
    Membership group = created();
    Membership added =
        GroupChangeSignatures.successor(
            group, change(2, alice, List.of(alice, bob, carol), List.of(alice)).addAdded(carol.toString()).build());
    assertThat(added.members()).containsExactly(alice, bob, carol);

    assertThatThrownBy(() -> GroupChangeSignatures.successor(
            added, change(3, bob, List.of(alice, bob, carol, eve), List.of(alice)).addAdded(eve.toString()).build()))
        .isInstanceOf(GroupChangeException.class).hasMessageContaining("not an admin");
    assertThatThrownBy(() -> GroupChangeSignatures.successor(
            added, change(3, bob, List.of(alice, bob), List.of(alice)).addRemoved(carol.toString()).build()))
        .hasMessageContaining("not an admin");
    assertThatThrownBy(() -> GroupChangeSignatures.successor(
            added, change(3, bob, List.of(alice, bob, carol), List.of(alice, bob)).build()))
        .as("a member cannot make itself admin").hasMessageContaining("not an admin");

    Membership bobLeft =
        GroupChangeSignatures.successor(
            added, change(3, bob, List.of(alice, carol), List.of(alice)).addRemoved(bob.toString()).build());
    assertThat(bobLeft.members()).containsExactly(alice, carol);

    assertThatThrownBy(() -> GroupChangeSignatures.successor(
            bobLeft, change(4, bob, List.of(alice, carol, bob), List.of(alice)).addAdded(bob.toString()).build()))
        .as("a removed member cannot come back on its own").hasMessageContaining("not a member");
  }

  @Test
  void versionsGoUpOneAtATimeAndMembersFollowFromTheChange() throws Exception {
    Membership group = created();
    MembershipChange addCarol =
        change(2, alice, List.of(alice, bob, carol), List.of(alice)).addAdded(carol.toString()).build();
    Membership v2 = GroupChangeSignatures.successor(group, addCarol);

    assertThatThrownBy(() -> GroupChangeSignatures.successor(v2, addCarol))
        .as("a replayed change").hasMessageContaining("version 2, not to 3");
    assertThatThrownBy(() -> GroupChangeSignatures.successor(
            group, change(3, alice, List.of(alice, bob, carol), List.of(alice)).addAdded(carol.toString()).build()))
        .as("a skipped version").hasMessageContaining("not to 2");
    assertThatThrownBy(() -> GroupChangeSignatures.successor(
            group, change(2, alice, List.of(alice, bob, carol, eve), List.of(alice)).addAdded(carol.toString()).build()))
        .as("a member slipped in beside the one added").hasMessageContaining("do not follow");
  }

  @Test
  void theLastAdminWhoLeavesHandsTheRoleOnAndAdminsAreAlwaysMembers() throws Exception {
    Membership group = created();
    Membership aliceLeft =
        GroupChangeSignatures.successor(
            group, change(2, alice, List.of(bob), List.of(bob)).addRemoved(alice.toString()).build());
    assertThat(aliceLeft.admins()).isEqualTo(Set.of(bob));

    SignedMembershipChange adminOutside =
        GroupChangeSignatures.sign(change(2, alice, List.of(alice, bob), List.of(alice, eve)).build(), aliceKey);
    assertThatThrownBy(() -> GroupChangeSignatures.parse(adminOutside)).hasMessageContaining("not a member");
    SignedMembershipChange noAdmin =
        GroupChangeSignatures.sign(change(2, alice, List.of(bob), List.of()).addRemoved(alice.toString()).build(), aliceKey);
    assertThatThrownBy(() -> GroupChangeSignatures.parse(noAdmin)).hasMessageContaining("needs an admin");
  }

  @Test
  void aNameThatWouldPrintAForgedLineOrTurnTextAroundIsRefused() throws Exception {
    for (String forged :
        List.of("x\n16:02  \u2014 Alice made you an admin", "x\u202Enimda", "x\u2066y", "x\u2028y", "x\u001b[2Jy",
            "x\u200Fy")) {
      SignedMembershipChange signed =
          GroupChangeSignatures.sign(change(1, alice, List.of(alice), List.of(alice)).setName(forged).build(), aliceKey);
      assertThatThrownBy(() -> GroupChangeSignatures.parse(signed))
          .isInstanceOf(GroupChangeException.class).hasMessageContaining("one line of plain text");
    }
    // Joiners only join: an emoji family and a Persian spelling stay names.
    for (String plain : List.of("family \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645")) {
      assertThat(GroupChangeSignatures.parse(GroupChangeSignatures.sign(
              change(1, alice, List.of(alice), List.of(alice)).setName(plain).build(), aliceKey)).getName())
          .isEqualTo(plain);
    }
  }
}
