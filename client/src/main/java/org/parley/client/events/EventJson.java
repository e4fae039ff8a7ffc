package org.parley.client.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Events as JSON objects, the one mapping that {@code receive --json}, the event log and the
 * daemon's API share: {@code type} first, then {@code eventId} for a logged event, then the
 * record's components in their order (renamed where a component carries {@code @JsonProperty}).
 * Reading back picks the record by {@code type} and ignores fields it does not know, so events
 * logged by an older version still read.
 */
public final class EventJson {
  /** Every event type and its record; a type written here can be read back. */
  static final Map<String, Class<? extends ClientEvent>> TYPES =
      Map.ofEntries(
          Map.entry(MessageEvent.RECEIVED, MessageEvent.class),
          Map.entry(MessageEvent.SENT, MessageEvent.class),
          Map.entry(MessageEvent.SYSTEM, MessageEvent.class),
          Map.entry("receipt", ReceiptEvent.class),
          Map.entry("read", ReadEvent.class),
          Map.entry("unlinked", UnlinkedEvent.class),
          Map.entry("warning", WarningEvent.class),
          Map.entry("group", GroupEvent.class),
          Map.entry("history-sync", HistorySyncEvent.class),
          Map.entry("untrusted", UntrustedEvent.class),
          Map.entry("identity-changed", IdentityChangedEvent.class),
          Map.entry("group-warning", GroupWarningEvent.class),
          Map.entry("contact-name", ContactNameEvent.class),
          Map.entry("chat-state", ChatStateEvent.class),
          Map.entry("label", LabelEvent.class),
          Map.entry("labelled", LabelledEvent.class),
          Map.entry("assigned", AssignedEvent.class),
          Map.entry("note", NoteEvent.class),
          Map.entry("attachment", AttachmentEvent.class),
          Map.entry("waiting", WaitingEvent.class));

  private final ObjectMapper json =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The event's JSON object, without an {@code eventId} (a live event, not logged). */
  public ObjectNode toJson(ClientEvent event) {
    ObjectNode object = json.createObjectNode();
    object.put("type", event.type());
    fields(event, object);
    return object;
  }

  public ObjectNode toJson(LoggedEvent logged) {
    ObjectNode object = json.createObjectNode();
    object.put("type", logged.event().type());
    object.put("eventId", logged.eventId());
    fields(logged.event(), object);
    return object;
  }

  private void fields(ClientEvent event, ObjectNode into) {
    ObjectNode fields = json.valueToTree(event);
    fields.remove("type");
    into.setAll(fields);
  }

  public String write(ClientEvent event) {
    return text(toJson(event));
  }

  public String write(LoggedEvent logged) {
    return text(toJson(logged));
  }

  private String text(ObjectNode object) {
    try {
      return json.writeValueAsString(object);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an event could not be written as JSON", e);
    }
  }

  /** The event an object describes; {@code eventId}, if present, is left to the caller. */
  public ClientEvent read(JsonNode object) {
    String type = object.path("type").asText("");
    Class<? extends ClientEvent> record = TYPES.get(type);
    if (record == null) {
      throw new IllegalArgumentException("unknown event type '" + type + "'");
    }
    try {
      return json.treeToValue(object, record);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("a " + type + " event could not be read: " + e.getOriginalMessage(), e);
    }
  }

  public ClientEvent read(String text) {
    try {
      return read(json.readTree(text));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON event: " + e.getOriginalMessage(), e);
    }
  }

  /** A logged event read back from its JSON object (as the daemon sends it). */
  public LoggedEvent readLogged(JsonNode object) {
    return new LoggedEvent(object.path("eventId").asLong(), 0, read(object));
  }
}
