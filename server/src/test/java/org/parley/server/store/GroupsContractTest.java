package org.parley.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.parley.server.store.StoreFixtures.credentialHash;
import static org.parley.server.store.StoreFixtures.keys;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.primary;
import static org.parley.server.store.StoreFixtures.register;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.parley.protocol.wire.UnlinkReason;
import org.parley.server.store.GroupRecord.Member;
import org.parley.server.store.Groups.MemberChange;

class GroupsContractTest {
  private static final String ALICE = "+15550007001";
  private static final String BOB = "+15550007002";
  private static final String CAROL = "+15550007003";
  private static final String DAVE = "+15550007004";

  @StorageTest
  void aNewGroupHasItsCreatorAsOnlyAdminAndStartsAtVersionOne(Storage storage) {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    UUID id = UUID.randomUUID();

    GroupRecord created = storage.groups().create(id, "climbing", alice, List.of(bob, alice, bob), signed(1), 5_000).orElseThrow();

    assertThat(created.id()).isEqualTo(id);
    assertThat(created.name()).isEqualTo("climbing");
    assertThat(created.version()).isEqualTo(1);
    assertThat(created.createdAt()).isEqualTo(5_000);
    assertThat(created.members())
        .containsExactly(new Member(alice, ALICE, true, 5_000), new Member(bob, BOB, false, 5_000));
    assertThat(storage.groups().byId(id)).get().usingRecursiveComparison().isEqualTo(created);
  }

  @StorageTest
  void unknownGroupsAreAbsent(Storage storage) {
    UUID nobody = UUID.randomUUID();

    assertThat(storage.groups().byId(nobody)).isEmpty();
    assertThat(storage.groups().devices(nobody)).isEmpty();
    assertThat(storage.groups().ofAccount(nobody)).isEmpty();
    assertThat(storage.groups().change(nobody, 1, MemberChange.adding(List.of(nobody)), signed(9), 1)).isEmpty();
  }

  @StorageTest
  void anAccountSeesOnlyTheGroupsItIsIn(Storage storage) {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    UUID carol = register(storage, CAROL);
    GroupRecord both = storage.groups().create(UUID.randomUUID(), "both", alice, List.of(bob), signed(1), 1).orElseThrow();
    GroupRecord aliceOnly = storage.groups().create(UUID.randomUUID(), "alone", alice, List.of(), signed(1), 1).orElseThrow();

    assertThat(storage.groups().ofAccount(alice)).extracting(GroupRecord::id)
        .containsExactlyInAnyOrder(both.id(), aliceOnly.id());
    assertThat(storage.groups().ofAccount(bob)).extracting(GroupRecord::id).containsExactly(both.id());
    assertThat(storage.groups().ofAccount(carol)).isEmpty();
  }

  /** What a group message must cover follows the members' devices as they are linked, unlinked, re-registered. */
  @StorageTest
  void theDevicesAreEveryCurrentDeviceOfEveryMember(Storage storage) {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    UUID carol = register(storage, CAROL);
    DeviceRecord laptop = link(storage, alice);
    link(storage, carol);
    GroupRecord group = storage.groups().create(UUID.randomUUID(), "g", alice, List.of(bob), signed(1), 1).orElseThrow();

    assertThat(storage.groups().devices(group.id())).extracting(DeviceRecord::address)
        .containsExactlyInAnyOrder(new DeviceAddress(alice, 1), laptop.address(), new DeviceAddress(bob, 1));

    link(storage, bob);
    storage.accounts().removeDevices(
        alice, List.of(laptop.deviceId()), UnlinkReason.REMOVED_BY_PRIMARY_VALUE, 2, 0, null);
    DeviceRecord newPhone = primary(bob, credentialHash(), 3);
    storage.accounts().registerPrimary(BOB, newPhone, keys(1, 1, 1), UnlinkReason.REREGISTERED_VALUE);

    assertThat(storage.groups().devices(group.id()))
        .as("alice's laptop unlinked; bob registered again, which dropped his companion")
        .usingRecursiveFieldByFieldElementComparator()
        .containsExactlyInAnyOrderElementsOf(
            List.of(
                storage.accounts().device(new DeviceAddress(alice, 1)).orElseThrow(),
                storage.accounts().device(newPhone.address()).orElseThrow()));
  }

  @StorageTest
  void aChangeAddsRemovesAndPromotesInOneStepAndRaisesTheVersion(Storage storage) {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    UUID carol = register(storage, CAROL);
    UUID dave = register(storage, DAVE);
    GroupRecord group = storage.groups().create(UUID.randomUUID(), "g", alice, List.of(bob, carol), signed(1), 1).orElseThrow();

    Optional<GroupRecord> changed =
        storage.groups().change(group.id(), 1, new MemberChange(List.of(dave, bob), List.of(carol), List.of(alice, bob), null), signed(9), 9);

    List<Member> expected =
        List.of(new Member(alice, ALICE, true, 1), new Member(bob, BOB, true, 1), new Member(dave, DAVE, false, 9));
    assertThat(changed).get().satisfies(g -> {
      assertThat(g.version()).isEqualTo(2);
      assertThat(g.members()).containsExactlyElementsOf(expected);
    });
    assertThat(storage.groups().byId(group.id())).get().usingRecursiveComparison().isEqualTo(changed.get());
    assertThat(storage.groups().ofAccount(carol)).isEmpty();
    assertThat(storage.groups().devices(group.id())).extracting(DeviceRecord::account).doesNotContain(carol);
  }

  @StorageTest
  void aChangeWorkedOutFromAnOlderVersionIsRefusedAndChangesNothing(Storage storage) {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    UUID carol = register(storage, CAROL);
    GroupRecord group = storage.groups().create(UUID.randomUUID(), "g", alice, List.of(bob), signed(1), 1).orElseThrow();
    GroupRecord second = storage.groups().change(group.id(), 1, MemberChange.adding(List.of(carol)), signed(9), 2).orElseThrow();

    assertThat(storage.groups().change(group.id(), 1, MemberChange.removing(bob), signed(9), 3)).isEmpty();
    assertThat(storage.groups().change(group.id(), 3, MemberChange.removing(bob), signed(9), 3)).isEmpty();

    assertThat(storage.groups().byId(group.id())).get().usingRecursiveComparison().isEqualTo(second);
  }

  /** Two admins change the same version at once: one change wins, the other is refused, none is lost silently. */
  @StorageTest
  void ofTwoChangesToTheSameVersionExactlyOneIsApplied(Storage storage) throws Exception {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    UUID carol = register(storage, CAROL);
    UUID dave = register(storage, DAVE);
    GroupRecord group = storage.groups().create(UUID.randomUUID(), "g", alice, List.of(bob), signed(1), 1).orElseThrow();
    CyclicBarrier start = new CyclicBarrier(2);
    List<CompletableFuture<Optional<GroupRecord>>> changes = new ArrayList<>();
    for (UUID added : List.of(carol, dave)) {
      changes.add(
          CompletableFuture.supplyAsync(
              () -> {
                await(start);
                return storage.groups().change(group.id(), 1, MemberChange.adding(List.of(added)), signed(9), 2);
              },
              task -> Thread.ofPlatform().daemon().start(task)));
    }

    List<GroupRecord> applied = changes.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList();

    assertThat(applied).singleElement().satisfies(g -> assertThat(g.version()).isEqualTo(2));
    assertThat(storage.groups().byId(group.id())).get().usingRecursiveComparison().isEqualTo(applied.getFirst());
    assertThat(storage.groups().byId(group.id()).orElseThrow().members()).hasSize(3);
  }

  @StorageTest
  void aGroupLeftByItsLastMemberIsGone(Storage storage) {
    UUID alice = register(storage, ALICE);
    GroupRecord group = storage.groups().create(UUID.randomUUID(), "g", alice, List.of(), signed(1), 1).orElseThrow();

    Optional<GroupRecord> left = storage.groups().change(group.id(), 1, MemberChange.removing(alice), signed(9), 2);

    assertThat(left).get().satisfies(g -> assertThat(g.members()).isEmpty());
    assertThat(storage.groups().byId(group.id())).isEmpty();
    assertThat(storage.groups().ofAccount(alice)).isEmpty();
  }

  @StorageTest
  void groupsSurviveClosingAndReopening(StorageBackend backend) {
    Storage before = backend.open();
    UUID alice = register(before, ALICE);
    UUID bob = register(before, BOB);
    GroupRecord group = before.groups().create(UUID.randomUUID(), "kept", alice, List.of(bob), signed(1), 1).orElseThrow();
    GroupRecord changed = before.groups().change(group.id(), 1, MemberChange.removing(bob), signed(9), 2).orElseThrow();
    before.close();

    Storage after = backend.open();

    assertThat(after.groups().byId(group.id())).get().usingRecursiveComparison().isEqualTo(changed);
    assertThat(after.groups().ofAccount(bob)).isEmpty();
  }

  @StorageTest
  void aGroupIdIsTakenOnce(Storage storage) {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    GroupRecord first = storage.groups().create(UUID.randomUUID(), "first", alice, List.of(), signed(1), 1).orElseThrow();

    assertThat(storage.groups().create(first.id(), "second", bob, List.of(alice), signed(2), 2)).isEmpty();
    assertThat(storage.groups().byId(first.id())).get().usingRecursiveComparison().isEqualTo(first);
    assertThat(storage.groups().changes(first.id(), 0, 10)).containsExactly(signed(1));
  }

  /** A member that missed changes reads them in order, a page at a time; a refused change leaves none behind. */
  @StorageTest
  void theSignedChangesAreKeptInVersionOrderAndOnlyForAppliedChanges(Storage storage) {
    UUID alice = register(storage, ALICE);
    UUID bob = register(storage, BOB);
    UUID carol = register(storage, CAROL);
    UUID id = storage.groups().create(UUID.randomUUID(), "g", alice, List.of(), signed(1), 1).orElseThrow().id();
    storage.groups().change(id, 1, MemberChange.adding(List.of(bob)), signed(2), 2).orElseThrow();
    assertThat(storage.groups().change(id, 1, MemberChange.adding(List.of(carol)), signed(99), 3)).isEmpty();
    GroupRecord third =
        storage.groups().change(id, 2, new MemberChange(List.of(carol), List.of(), List.of(bob), "renamed"), signed(3), 4)
            .orElseThrow();

    assertThat(third.name()).isEqualTo("renamed");
    assertThat(third.members()).extracting(Member::account, Member::admin)
        .containsExactly(tuple(alice, false), tuple(bob, true), tuple(carol, false));
    assertThat(storage.groups().changes(id, 0, 10)).containsExactly(signed(1), signed(2), signed(3));
    assertThat(storage.groups().changes(id, 1, 1)).containsExactly(signed(2));
    assertThat(storage.groups().changes(id, 3, 10)).isEmpty();

    for (UUID member : List.of(alice, bob, carol)) {
      long version = storage.groups().byId(id).orElseThrow().version();
      storage.groups().change(id, version, MemberChange.removing(member), signed((int) version + 1), 5).orElseThrow();
    }
    assertThat(storage.groups().changes(id, 0, 10)).as("gone with the group").isEmpty();
  }

  private static byte[] signed(int version) {
    return ("signed change " + version).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
