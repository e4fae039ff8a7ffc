package org.parley.client.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventJsonTest {
  final EventJson json = new EventJson();

  static List<ClientEvent> oneOfEach() {
    return List.of(
        MessageEvent.of(false, "m1", "+15550000001", 2, null, null, "hi", 10, 11, "unread"),
        MessageEvent.of(true, "m2", "+15550000002", 1, "+15550000001", null, "yo", 12, 13, "sent"),
        new ReceiptEvent("delivery", "+15550000001", 1, List.of("m2"), 14),
        new ReadEvent("+15550000001", null, 15, 2),
        new UnlinkedEvent("primary-inactive", 16, "this device was unlinked"),
        new WarningEvent("companion-inactive", "soon", 17),
        new WarningEvent("untrusted-device", "dropped"),
        new GroupEvent("added", "g1", "climbing", "+15550000001", List.of("+15550000003"), List.of(), 2, 18),
        new HistorySyncEvent("imported", 0, true, 5, 5, 100, 100, 1, 2),
        new UntrustedEvent("identity-not-vouched", "+15550000001", 2, 19, "not shown: ..."),
        new IdentityChangedEvent("+15550000001", "1234", "5678", false, 20),
        new GroupWarningEvent("unsigned-member", "g1", "+15550000004", "gets nothing"),
        new ContactNameEvent("+15550000001", "Alice", 2, 21),
        new ChatStateEvent("+15550000001", "Alice", "muted", -1, 2, 22),
        new LabelEvent("0123456789abcdef", "new order", "#ff8800", "created", 3, 23),
        new LabelledEvent("0123456789abcdef", "new order", "g1", "climbing", "m1", true, 3, 24),
        new AssignedEvent("+15550000001", "Alice", 3, "laptop", 1, 25),
        new NoteEvent("+15550000001", "Alice", "fedcba9876543210", "pays on Fridays", 2, 26),
        new ReceiptEvent("read", "+15550000001", 1, List.of("m2"), 14, "Alice"),
        new ReadEvent("+15550000001", null, 15, 2, "Alice"),
        MessageEvent.of(false, "m3", "+15550000001", 2, null, null, "named", 10, 11, "unread").withName("Alice"),
        MessageEvent.of(false, "m4", "+15550000001", 2, null, null, "a photo", 10, 11, "unread")
            .withAttachments(List.of(
                new AttachmentView("b1", "image/jpeg", 1234, "beach.jpg", null, "pending", null),
                new AttachmentView("b2", "application/pdf", 99, "../../etc/passwd", "/p/attachments/x.pdf", "fetched", null))),
        new AttachmentEvent("b1", "m4", "+15550000001", "image/jpeg", 1234, "beach.jpg", "/p/attachments/y.jpg", "fetched", null),
        new WaitingEvent("waiting", "+15550000001", 2, null, 27, "waiting for this message"));
  }

  @Test
  void everyKindOfEventIsRegisteredAndReadsBackAsItWasWritten() {
    List<Class<?>> covered = new ArrayList<>();
    for (ClientEvent event : oneOfEach()) {
      assertThat(EventJson.TYPES).containsEntry(event.type(), event.getClass());
      assertThat(json.read(json.write(event))).isEqualTo(event);
      covered.add(event.getClass());
    }
    assertThat(covered).containsAll(List.of(ClientEvent.class.getPermittedSubclasses()));
  }

  @Test
  void typeComesFirstThenTheEventIdThenTheFieldsUnderTheirDesignNames() {
    ObjectNode object = json.toJson(new LoggedEvent(42, 1, new ReadEvent("+15550000001", null, 15, 2)));
    assertThat(object.fieldNames()).toIterable().containsExactly("type", "eventId", "chat", "group", "upTo", "byDevice");
    assertThat(object.get("type").asText()).isEqualTo("read");
    assertThat(object.get("eventId").asLong()).isEqualTo(42);

    ObjectNode message = json.toJson(oneOfEach().get(0));
    assertThat(message.fieldNames()).toIterable()
        .containsExactly("type", "id", "from", "fromDevice", "to", "group", "body", "timestamp", "serverTimestamp", "status");
    assertThat(json.toJson(new WarningEvent("x", "y")).has("unlinkAt")).isFalse();
    // README.md, commands: a message with files has 'attachments', each with id, contentType, size, fileName, path
    ObjectNode withFiles = json.toJson(oneOfEach().get(21));
    assertThat(withFiles.get("attachments").get(0).fieldNames()).toIterable()
        .containsExactly("id", "contentType", "size", "fileName", "path", "status");
    assertThat(withFiles.get("attachments").get(0).get("path").isNull()).isTrue();
    assertThat(json.toJson(new WarningEvent("x", "y", 9)).get("unlinkAt").asLong()).isEqualTo(9);
    ObjectNode history = json.toJson(oneOfEach().get(8));
    assertThat(history.has("from")).isTrue();
    assertThat(history.has("progress")).isFalse();
  }

  @Test
  void unknownTypesAreRefusedAndUnknownFieldsIgnored() {
    assertThatThrownBy(() -> json.read("{\"type\":\"nonsense\"}")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> json.read("not json")).isInstanceOf(IllegalArgumentException.class);
    assertThat(json.read("{\"type\":\"read\",\"chat\":\"+1\",\"upTo\":3,\"byDevice\":2,\"later\":true}"))
        .isEqualTo(new ReadEvent("+1", null, 3, 2));
  }
}
