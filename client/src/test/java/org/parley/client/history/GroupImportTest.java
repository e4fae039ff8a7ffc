package org.parley.client.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.store.Contacts;
import org.parley.client.store.GroupStore;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.GroupChangeSignatures.Membership;

/**
 * A group taken in from the primary's history bundle is kept as the group store keeps a verified
 * change (it is that table's one writer): a companion that imported the group and then took a live
 * change holds the very same copy (members, order, admins, the version each joined at) as a device
 * that learned the group live at the bundle's version and took the same change.
 */
class GroupImportTest {
  static final String GROUP = "shop-staff";
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC);
  static final UUID ACCOUNT = UUID.randomUUID();
  static final UUID ALICE = ACCOUNT;
  static final UUID BOB = UUID.randomUUID();
  static final UUID CAROL = UUID.randomUUID();
  static final UUID DAVE = UUID.randomUUID();

  static final Membership V1 = new Membership(GROUP, 1, "shop", List.of(ALICE, BOB), Set.of(ALICE));
  static final Membership V2 = new Membership(GROUP, 2, "shop staff", List.of(ALICE, BOB, CAROL), Set.of(ALICE, BOB));
  static final Membership V3 =
      new Membership(GROUP, 3, "shop staff", List.of(ALICE, CAROL, DAVE), Set.of(ALICE, CAROL));

  @TempDir Path dir;

  @Test
  void aGroupFirstLearnedFromTheBundleThenChangedLiveIsTheCopyOfOneLearnedLive() {
    try (ProfileStore primary = ProfileStore.open(dir.resolve("primary"));
        ProfileStore companion = ProfileStore.open(dir.resolve("companion"));
        ProfileStore live = ProfileStore.open(dir.resolve("live"))) {
      groups(primary).store(V1, true, Map.of());
      groups(primary).store(V2, true, Map.of());

      importHistory(primary, companion);
      groups(companion).store(V3, true, Map.of());

      groups(live).store(V2, true, Map.of());
      groups(live).store(V3, true, Map.of());
      assertThat(group(companion)).isEqualTo(group(live));
    }
  }

  @Test
  void aGroupKnownAtAnOlderVersionKeepsWhenItsMembersJoinedThroughTheImport() {
    try (ProfileStore primary = ProfileStore.open(dir.resolve("primary"));
        ProfileStore companion = ProfileStore.open(dir.resolve("companion"));
        ProfileStore live = ProfileStore.open(dir.resolve("live"))) {
      groups(primary).store(V1, true, Map.of());
      groups(primary).store(V2, true, Map.of());
      groups(companion).store(V1, true, Map.of());

      importHistory(primary, companion);
      groups(companion).store(V3, true, Map.of());

      groups(live).store(V1, true, Map.of());
      groups(live).store(V2, true, Map.of());
      groups(live).store(V3, true, Map.of());
      assertThat(group(companion)).isEqualTo(group(live));
      assertThat(group(companion).members()).extracting(GroupStore.Member::joinedVersion).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void aGroupKnownAtANewerVersionIsLeftAsItIs() {
    try (ProfileStore primary = ProfileStore.open(dir.resolve("primary"));
        ProfileStore companion = ProfileStore.open(dir.resolve("companion"))) {
      groups(primary).store(V2, true, Map.of());
      groups(companion).store(V3, true, Map.of());
      LocalGroup before = group(companion);

      importHistory(primary, companion);

      assertThat(group(companion)).isEqualTo(before);
    }
  }

  private void importHistory(ProfileStore primary, ProfileStore companion) {
    HistoryImporter importer = new HistoryImporter(companion, ACCOUNT, 2, CLOCK, dir.resolve("companion-work"));
    for (HistoryExporter.Bundle bundle : new HistoryExporter(primary, ACCOUNT, CLOCK, dir.resolve("primary-work")).write(2, 365)) {
      assertThat(importer.importFile(bundle.file(), bundle.announcement(), e -> {}).outcome())
          .isEqualTo(HistoryImporter.Outcome.IMPORTED);
    }
  }

  private static GroupStore groups(ProfileStore store) {
    return new GroupStore(store, new Contacts(store));
  }

  private static LocalGroup group(ProfileStore store) {
    return groups(store).get(GROUP).orElseThrow();
  }
}
