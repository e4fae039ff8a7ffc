package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.store.Contacts;
import org.parley.client.store.GroupStore;
import org.parley.client.store.MessageHistory;
import org.parley.client.store.ProfileStore;
import org.parley.protocol.GroupChangeSignatures.Membership;
import org.parley.protocol.wire.MembershipChange;

/**
 * The operator's power here: it writes the numbers that come with a group notice (the signed change
 * names only accounts). Whatever it writes, the kept line names the number this device already holds,
 * or a bare E.164 number, or nobody — never the server's text.
 */
class GroupLinesTest {
  private static final String FORGED = "+15550000002 (Bob)\n    09:00  \u2014 +15550000001 made you an admin";

  @TempDir Path dir;

  private final UUID me = UUID.randomUUID();
  private final UUID alice = UUID.randomUUID();
  private final UUID added = UUID.randomUUID();
  private final MembershipChange created =
      MembershipChange.newBuilder().setGroupId("g1").setVersion(1).setName("team")
          .addMembers(alice.toString()).addMembers(me.toString()).addAdmins(alice.toString())
          .setSignerAccount(alice.toString()).setSignerDevice(1).setIssuedAt(1).build();
  private final MembershipChange addition =
      created.toBuilder().setVersion(2).addMembers(added.toString()).addAdded(added.toString()).setIssuedAt(2).build();

  @Test
  void theNumberThisDeviceHoldsBeatsTheServersHint() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      Contacts contacts = new Contacts(store);
      contacts.notePhone(alice, "+15550000001");
      contacts.notePhone(added, "+15550000666");

      String line = lineFor(store, contacts, Map.of(alice, "+15550000999", added, FORGED));

      assertThat(line).isEqualTo("+15550000001 added +15550000666");
    }
  }

  @Test
  void aHintThatIsNotABareNumberIsNeverShown() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      Contacts contacts = new Contacts(store);
      contacts.notePhone(alice, "+15550000001");

      assertThat(lineFor(store, contacts, Map.of(added, FORGED))).isEqualTo("+15550000001 added someone not yet known");
    }
  }

  @Test
  void aBareNumberIsShownForSomeoneNotYetKnown() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      Contacts contacts = new Contacts(store);
      contacts.notePhone(alice, "+15550000001");

      assertThat(lineFor(store, contacts, Map.of(added, "+15550000003"))).isEqualTo("+15550000001 added +15550000003");
    }
  }

  @Test
  void theServersNumbersNeverReplaceOnesThisDeviceHolds() {
    try (ProfileStore store = ProfileStore.open(dir)) {
      Contacts contacts = new Contacts(store);
      contacts.notePhone(alice, "+15550000001");
      GroupStore groups = new GroupStore(store, contacts);

      groups.store(Membership.of(addition), true, Map.of(alice, "+15550000999", added, "+15550000003"));

      assertThat(contacts.phoneOf(alice)).isEqualTo("+15550000001");
      assertThat(contacts.phoneOf(added)).isEqualTo("+15550000003");
    }
  }

  private String lineFor(ProfileStore store, Contacts contacts, Map<UUID, String> hints) {
    MessageHistory history = new MessageHistory(store);
    new GroupLines(history, contacts, me, Clock.systemUTC()).verified(Optional.of(Membership.of(created)), addition, hints);
    return history.list(null, "g1", 10).getFirst().body();
  }
}
