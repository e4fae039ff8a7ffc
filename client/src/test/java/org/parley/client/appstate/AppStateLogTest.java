package org.parley.client.appstate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.wire.AppStateValue;
import org.parley.protocol.wire.LabelValue;

/** The merge rule on a real profile: last writer wins, ties by device id, in any order, any number of times. */
class AppStateLogTest {
  static final ChatRef BOB = ChatRef.direct(UUID.fromString("00000000-0000-0000-0000-00000000000b"));

  @TempDir Path dir;

  @Test
  void theSameMutationsInAnyOrderLeaveEveryDeviceWithTheSameState() {
    Random random = new Random(17);
    List<AppStateKey> keys =
        List.of(
            AppStateKey.chat(AppStateKey.Kind.ASSIGN, BOB),
            AppStateKey.chat(AppStateKey.Kind.ARCHIVE, BOB),
            AppStateKey.chatLabel("0123456789abcdef", BOB),
            AppStateKey.label("0123456789abcdef"));
    List<Mutation> mutations = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      AppStateKey key = keys.get(random.nextInt(keys.size()));
      // Few versions and devices, so ties on the version happen often.
      mutations.add(new Mutation(key, random.nextInt(4) == 0 ? null : value(key, random), 1 + random.nextInt(5),
          2 + random.nextInt(3), 1000 + i));
    }
    List<List<String>> states = new ArrayList<>();
    for (int device = 0; device < 4; device++) {
      List<Mutation> order = new ArrayList<>(mutations);
      Collections.shuffle(order, random);
      if (device == 3) {
        order.addAll(mutations.subList(0, 20)); // a redelivery applies nothing twice
      }
      try (ProfileStore store = ProfileStore.open(dir.resolve("device-" + device))) {
        AppStateLog log = new AppStateLog(store);
        order.forEach(m -> log.merge(m, false));
        states.add(dump(store));
      }
    }
    assertThat(states).allSatisfy(state -> assertThat(state).isEqualTo(states.getFirst()));
    assertThat(states.getFirst()).hasSize(keys.size());
  }

  @Test
  void theHigherVersionWinsThenTheHigherDeviceAndADeletionKeepsItsVersion() {
    try (ProfileStore store = ProfileStore.open(dir.resolve("device"))) {
      AppStateLog log = new AppStateLog(store);
      AppStateKey key = AppStateKey.chat(AppStateKey.Kind.ASSIGN, BOB);
      assertThat(log.merge(new Mutation(key, agent(2), 5, 2, 1), false).applied()).isTrue();
      assertThat(log.merge(new Mutation(key, agent(3), 5, 3, 1), false).applied()).as("tie: device 3 > 2").isTrue();
      assertThat(log.merge(new Mutation(key, agent(2), 5, 2, 9), false).applied()).isFalse();
      assertThat(log.merge(new Mutation(key, null, 6, 2, 2), false).applied()).as("deleted at 6").isTrue();
      assertThat(log.merge(new Mutation(key, agent(4), 5, 4, 3), false).applied()).as("older set stays deleted").isFalse();
      assertThat(log.get(key).orElseThrow().deleted()).isTrue();
      // This device's next change goes past everything it has seen.
      assertThat(log.nextVersion()).isEqualTo(7);
    }
  }

  @Test
  void pendingChangesAreKeptUntilSentAndANewerEntryIsNotMarkedSent() {
    try (ProfileStore store = ProfileStore.open(dir.resolve("device"))) {
      AppStateLog log = new AppStateLog(store);
      AppStateKey key = AppStateKey.chat(AppStateKey.Kind.PIN, BOB);
      Mutation first = new Mutation(key, AppStateValue.newBuilder().setOn(true).build(), log.nextVersion(), 2, 1);
      log.merge(first, true);
      Mutation second = new Mutation(key, null, log.nextVersion(), 2, 2);
      log.merge(second, true);
      log.sent(List.of(first));
      assertThat(log.pending(10)).containsExactly(second);
      log.sent(List.of(second));
      assertThat(log.pending(10)).isEmpty();
    }
  }

  private static AppStateValue value(AppStateKey key, Random random) {
    return switch (key.kind()) {
      case ASSIGN -> agent(1 + random.nextInt(5));
      case LABEL ->
          AppStateValue.newBuilder()
              .setLabel(LabelValue.newBuilder().setName("label " + random.nextInt(3)).setColour("#00ff00"))
              .build();
      default -> AppStateValue.newBuilder().setOn(true).build();
    };
  }

  private static AppStateValue agent(int device) {
    return AppStateValue.newBuilder().setDeviceId(device).build();
  }

  private static List<String> dump(ProfileStore store) {
    return store.read(c -> {
      List<String> rows = new ArrayList<>();
      try (var select = c.prepareStatement("SELECT key, hex(value), version, device_id FROM app_state ORDER BY key");
          var rs = select.executeQuery()) {
        while (rs.next()) {
          rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getLong(3) + " " + rs.getInt(4));
        }
      }
      return rows;
    });
  }
}
