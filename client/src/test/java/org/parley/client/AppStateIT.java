package org.parley.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.client.Accounts.linkByUri;
import static org.parley.client.Accounts.receive;
import static org.parley.client.Accounts.register;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.client.appstate.AppStateViews;
import org.parley.client.appstate.AppStateViews.ChatView;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.NoteEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.protocol.wire.AppStateMutation;
import org.parley.protocol.wire.AppStateSync;
import org.parley.protocol.wire.AppStateValue;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.LabelValue;
import org.parley.protocol.wire.SyncMessage;
import org.parley.server.cluster.ClusterOptions;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.DeviceRecord;
import org.parley.server.store.PreKeys;
import org.parley.server.testing.TestPostgres;
import org.parley.server.testing.TestServer;
import org.parley.server.testing.WithTestServer;

/**
 * App state across own devices (DESIGN.md §16), with real devices on a real relay: concurrent changes
 * converge everywhere, an offline device catches up from its queue, a new companion starts from the
 * snapshot in its history, a removed companion gets nothing more, the operator's store holds no
 * plaintext, and a mutation from anything but an own vouched device is never applied.
 */
@WithTestServer
class AppStateIT {
  static final String ALICE = "+15550001701";
  static final String BOB = "+15550001702";
  /** What must never be readable on the server. */
  static final String NEW_ORDER = "Neue Bestellung 7731";
  static final String PAID = "bezahlt am Freitag 7732";
  static final String WAITING = "wartet auf Zahlung 7733";
  static final String BOB_NAME = "Bob Baumeister 7734";
  static final String NOTE = "zahlt nur in bar, 7735";
  static final String LATER_NOTE = "rief nochmal an, 7736";

  @TempDir Path dir;
  TestServer server;
  Operator operator;

  @BeforeEach
  void useServer(TestServer server) {
    this.server = server;
    this.operator = new Operator(server);
  }

  @Test
  void concurrentChangesConvergeOnEveryDeviceAndANewCompanionStartsFromThem() throws IOException {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device bob = register(server, dir.resolve("bob"), BOB);
        Device laptop = linkByUri(server, alice, dir.resolve("laptop"), "laptop");
        Device tablet = linkByUri(server, alice, dir.resolve("tablet"), "tablet")) {
      Device offline = linkByUri(server, alice, dir.resolve("desk"), "desk");
      bob.sendText(ALICE, "ich möchte bestellen");
      alice.appState().nameContact(BOB, BOB_NAME);
      alice.appState().createLabel(NEW_ORDER, "blue");
      alice.appState().label(NEW_ORDER, BOB, null, true);
      for (Device d : List.of(alice, laptop, tablet, offline)) {
        receive(d);
      }
      assertThat(chat(laptop).labels()).containsExactly(NEW_ORDER);
      assertThat(chat(offline).labels()).containsExactly(NEW_ORDER);

      // The desk goes offline. The laptop and the tablet, neither hearing from the other, both move the
      // chat on: each takes "new order" off, puts its own label on and takes the chat as its agent.
      offline.close();
      laptop.appState().createLabel(PAID, "green");
      tablet.appState().createLabel(WAITING, "orange");
      laptop.appState().label(NEW_ORDER, BOB, null, false);
      tablet.appState().label(NEW_ORDER, BOB, null, false);
      laptop.appState().label(PAID, BOB, null, true);
      tablet.appState().label(WAITING, BOB, null, true);
      laptop.appState().assign(BOB, "laptop");
      tablet.appState().assign(BOB, "tablet");

      // The desk comes back and catches up from its queue.
      Device desk = Device.open(dir.resolve("desk"), ClientConfig.defaults());
      for (Device d : List.of(alice, laptop, tablet, desk)) {
        receive(d);
      }
      // Labels on different keys merge; the assignment is one key: same version, the higher device id wins.
      ChatView converged = chat(alice);
      assertThat(converged.labels()).containsExactlyInAnyOrder(PAID, WAITING);
      assertThat(converged.assignedTo()).isEqualTo(3);
      assertThat(converged.assignedToName()).isEqualTo("tablet");
      assertThat(converged.name()).isEqualTo(BOB_NAME);
      for (Device d : List.of(laptop, tablet, desk)) {
        assertThat(shared(chat(d))).isEqualTo(shared(converged));
        assertThat(d.appState().views().labels()).isEqualTo(alice.appState().views().labels());
        assertThat(lastSystemLine(d)).contains("tablet (device 3)");
      }
      assertThat(alice.history(BOB, null, 10))
          .filteredOn(m -> m.type().equals(MessageEvent.RECEIVED))
          .extracting(MessageEvent::name).containsOnly(BOB_NAME);

      // Linked afterwards: the new companion starts from the primary's state, in its history.
      try (Device spare = linkByUri(server, alice, dir.resolve("spare"), "spare")) {
        receive(spare);
        assertThat(shared(chat(spare))).isEqualTo(shared(converged));
        assertThat(spare.appState().views().labels()).isEqualTo(alice.appState().views().labels());
        assertThat(lastSystemLine(spare)).contains("tablet (device 3)");

        // The laptop is unlinked. The tablet's next note reaches everyone else, never the laptop, even once
        // the operator has put the laptop's device back into its store (under the primary's newest list).
        DeviceRecord laptopRow = server.server().storage().accounts().device(operator.device(ALICE, 2)).orElseThrow();
        alice.unlink(2);
        assertThat(tablet.appState().addNote(BOB, NOTE).text()).isEqualTo(NOTE);
        PreKeys.Key fake = new PreKeys.Key(1, new byte[33], new byte[64]);
        server.server().storage().accounts().addCompanion(
            laptopRow, new PreKeys.Upload(fake, fake, List.of(), List.of()),
            operator.account(ALICE).deviceListVersion() + 1, operator.account(ALICE).deviceList(), 10);
        tablet.appState().addNote(BOB, LATER_NOTE);
        assertThat(tablet.appState().flush().pending()).as("both notes went out").isZero();

        DeviceAddress laptopAddress = new DeviceAddress(operator.account(ALICE).id(), 2);
        assertThat(server.server().storage().queues().length(laptopAddress)).isZero();
        for (Device d : List.of(alice, desk, spare)) {
          assertThat(receive(d)).filteredOn(NoteEvent.class::isInstance).extracting(e -> ((NoteEvent) e).text())
              .containsExactly(NOTE, LATER_NOTE);
        }
        assertThat(server.server().storage().queues().length(laptopAddress)).isZero();
      }

      desk.close();

      // The operator's store (database, its journal, blobs) holds none of it in plaintext.
      assertThat(plaintextIn(server.data(), NEW_ORDER, PAID, WAITING, BOB_NAME, NOTE, LATER_NOTE)).isEmpty();
      // ... while the devices do (the search would find it).
      assertThat(plaintextIn(dir.resolve("tablet"), LATER_NOTE)).isNotEmpty();
    }
  }

  @Test
  void aMutationFromADeviceThePrimaryDoesNotVouchForIsNeverApplied() {
    try (Device alice = register(server, dir.resolve("alice"), ALICE);
        Device laptop = linkByUri(server, alice, dir.resolve("laptop"), "laptop")) {
      receive(laptop);
      AppStateMutation forged =
          AppStateMutation.newBuilder()
              .setKey("label/0123456789abcdef")
              .setValue(AppStateValue.newBuilder().setLabel(LabelValue.newBuilder().setName("forged").setColour("#000000")))
              .setVersion(1_000_000)
              .setDeviceId(2)
              .setTimestamp(System.currentTimeMillis())
              .build();
      Content content =
          Content.newBuilder()
              .setSync(SyncMessage.newBuilder().setAppState(AppStateSync.newBuilder().addMutations(forged)))
              .build();
      // The operator speaks as the laptop, with a key of its own.
      operator.forger(ALICE, 2).send(ALICE, 1, content);
      alice.abortConnection();
      List<ClientEvent> events = receive(alice);

      assertThat(events).filteredOn(UntrustedEvent.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((UntrustedEvent) e).reason()).isEqualTo("identity-not-vouched"));
      assertThat(alice.appState().views().labels()).isEmpty();
      assertThat(alice.quarantined()).hasSize(1);
    }
  }

  @Test
  void aClusteredServersPostgresqlStoreHoldsNoPlaintextState() throws Exception {
    TestPostgres.Schema schema = TestPostgres.createSchema("app_state");
    Path data = dir.resolve("clustered-server");
    try (TestServer clustered =
            TestServer.start(data, Clock.systemUTC(), b -> b.cluster(new ClusterOptions(schema.storeUrl(), null, null)));
        Device alice = register(clustered, dir.resolve("alice"), ALICE);
        Device bob = register(clustered, dir.resolve("bob"), BOB);
        Device laptop = linkByUri(clustered, alice, dir.resolve("laptop"), "laptop")) {
      laptop.appState().nameContact(BOB, BOB_NAME);
      laptop.appState().createLabel(NEW_ORDER, null);
      laptop.appState().label(NEW_ORDER, BOB, null, true);
      laptop.appState().addNote(BOB, NOTE);
      receive(alice);
      assertThat(chat(alice).notes()).isEqualTo(1);
      assertThat(chat(alice).labels()).containsExactly(NEW_ORDER);

      List<String> found = new ArrayList<>(plaintextIn(data, NEW_ORDER, BOB_NAME, NOTE));
      try (Connection c = DriverManager.getConnection("jdbc:" + schema.storeUrl());
          ResultSet tables = c.getMetaData().getTables(null, schema.name(), "%", new String[] {"TABLE"})) {
        int rows = 0;
        while (tables.next()) {
          String table = tables.getString("TABLE_NAME");
          try (Statement select = c.createStatement();
              ResultSet rs = select.executeQuery("SELECT * FROM " + schema.name() + "." + table)) {
            while (rs.next()) {
              rows++;
              for (int column = 1; column <= rs.getMetaData().getColumnCount(); column++) {
                Object value = rs.getObject(column);
                byte[] bytes =
                    value instanceof byte[] raw ? raw : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
                for (String text : List.of(NEW_ORDER, BOB_NAME, NOTE)) {
                  if (indexOf(bytes, text.getBytes(StandardCharsets.UTF_8)) >= 0) {
                    found.add(table + ": " + text);
                  }
                }
              }
            }
          }
        }
        assertThat(rows).as("the search saw the store's rows").isPositive();
      }
      assertThat(found).isEmpty();
    } finally {
      schema.drop();
    }
  }

  /** A chat's state as every device must agree on it (unread counts and times are the device's own). */
  static List<Object> shared(ChatView chat) {
    return List.of(
        chat.chat(), String.valueOf(chat.name()), chat.archived(), chat.pinned(), chat.mutedUntil(), chat.markedUnread(),
        chat.labels().stream().sorted().toList(), chat.assignedTo(), String.valueOf(chat.assignedToName()), chat.notes());
  }

  static ChatView chat(Device device) {
    List<ChatView> chats = device.appState().views().chats(new AppStateViews.Filter(false, null, null));
    return chats.stream().filter(c -> c.chat().equals(BOB)).findFirst().orElseThrow();
  }

  static String lastSystemLine(Device device) {
    return device.history(BOB, null, 100).stream()
        .filter(m -> m.type().equals(MessageEvent.SYSTEM))
        .reduce((first, second) -> second)
        .map(MessageEvent::body)
        .orElse("");
  }

  /** Files under {@code directory} holding any of the texts as UTF-8, with the text found. */
  static List<String> plaintextIn(Path directory, String... texts) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(directory)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(file);
        for (String text : texts) {
          if (indexOf(bytes, text.getBytes(StandardCharsets.UTF_8)) >= 0) {
            found.add(file.getFileName() + ": " + text);
          }
        }
      }
    }
    return found;
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
