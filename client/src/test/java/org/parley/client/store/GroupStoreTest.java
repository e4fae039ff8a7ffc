package org.parley.client.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.store.GroupStore.Member;
import org.parley.protocol.GroupChangeSignatures.Membership;

/**
 * A group's copy is kept change by change: each change writes the rows it changes, not the whole
 * group again, so a group that grows to n members one at a time costs O(n) rows, not O(n²).
 */
class GroupStoreTest {
  static final String GROUP = "g1";

  @TempDir Path dir;

  /** Rows inserted, updated or deleted on the profile's connection so far (SQLite's own count). */
  static long rowsWritten(ProfileStore store) {
    return store.read(c -> {
      try (PreparedStatement select = c.prepareStatement("SELECT total_changes()");
          ResultSet rs = select.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  @Test
  void aGroupGrowingOneMemberAtATimeWritesRowsInProportionToItsSizeNotItsSquare() {
    int size = 400;
    try (ProfileStore store = ProfileStore.open(dir)) {
      GroupStore groups = new GroupStore(store, new Contacts(store));
      UUID admin = UUID.randomUUID();
      List<UUID> members = new ArrayList<>(List.of(admin));
      Map<UUID, String> phones = new HashMap<>();
      groups.store(new Membership(GROUP, 1, "grows", members, Set.of(admin)), true, phones);
      long before = rowsWritten(store);
      for (int version = 2; version <= size; version++) {
        UUID joining = UUID.randomUUID();
        members.add(joining);
        phones.put(joining, "+1555" + (1_000_000 + version));
        groups.store(new Membership(GROUP, version, "grows", members, Set.of(admin)), true, phones);
      }
      long written = rowsWritten(store) - before;
      // Per change: the group's row, the newcomer's row and its number. Rewriting every member's row
      // each time would be about size²/2 = 80,000 rows.
      assertThat(written).isLessThanOrEqualTo(4L * size);
      assertThat(groups.get(GROUP).orElseThrow().members()).extracting(Member::account).containsExactlyElementsOf(members);
    }
  }

  @Test
  void onlyTheChangedRowsChangeAndEveryMemberKeepsTheVersionItJoinedAt() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      GroupStore groups = new GroupStore(store, new Contacts(store));
      UUID alice = UUID.randomUUID();
      UUID bob = UUID.randomUUID();
      UUID carol = UUID.randomUUID();
      UUID dave = UUID.randomUUID();
      groups.store(new Membership(GROUP, 1, "team", List.of(alice, bob, carol), Set.of(alice)), true, Map.of());
      groups.store(new Membership(GROUP, 2, "team", List.of(alice, carol, dave), Set.of(alice, carol)), true,
          Map.of(dave, "+15550001204"));
      assertThat(groups.get(GROUP).orElseThrow().members())
          .extracting(Member::account, Member::phone, Member::admin, Member::joinedVersion)
          .containsExactly(
              tuple(alice, null, true, 1L), tuple(carol, null, true, 1L), tuple(dave, "+15550001204", false, 2L));

      // An older change than the copy is not stored.
      assertThat(groups.store(new Membership(GROUP, 1, "team", List.of(alice, bob), Set.of(alice)), true, Map.of()))
          .isFalse();
      assertThat(groups.get(GROUP).orElseThrow().version()).isEqualTo(2);

      // Left, then added again: a fresh copy, everyone joined at the new version.
      groups.left(GROUP, "team", 3);
      assertThat(groups.get(GROUP).orElseThrow().members()).isEmpty();
      groups.store(new Membership(GROUP, 4, "team", List.of(carol, alice), Set.of(carol)), true, Map.of());
      assertThat(groups.get(GROUP).orElseThrow().members())
          .extracting(Member::account, Member::admin, Member::joinedVersion)
          .containsExactly(tuple(carol, true, 4L), tuple(alice, false, 4L));
    }
  }
}
