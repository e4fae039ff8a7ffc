package org.parley.cli.output;

import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.GroupEvent;
import org.parley.client.events.HistorySyncEvent;
import org.parley.client.events.IdentityChangedEvent;
import org.parley.client.events.MessageEvent;
import org.parley.client.events.ReadEvent;
import org.parley.client.events.ReceiptEvent;
import org.parley.client.events.UnlinkedEvent;
import org.parley.client.events.UntrustedEvent;
import org.parley.client.events.WarningEvent;

/** The fields of each event, in the order DESIGN.md §12 names them. */
final class Events {
  private Events() {}

  static Map<String, Object> fields(ClientEvent event) {
    Map<String, Object> out = new LinkedHashMap<>();
    switch (event) {
      case MessageEvent m -> {
        out.put("type", m.type());
        out.put("id", m.id());
        out.put("from", m.from());
        out.put("fromDevice", m.fromDevice());
        out.put("to", m.to());
        out.put("group", m.group());
        out.put("body", m.body());
        out.put("timestamp", m.timestamp());
        out.put("serverTimestamp", m.serverTimestamp());
        out.put("status", m.status());
      }
      case ReceiptEvent r -> {
        out.put("type", "receipt");
        out.put("kind", r.kind());
        out.put("from", r.from());
        out.put("fromDevice", r.fromDevice());
        out.put("messageIds", r.messageIds());
        out.put("timestamp", r.timestamp());
      }
      case ReadEvent r -> {
        out.put("type", "read");
        out.put("chat", r.chat());
        out.put("group", r.group());
        out.put("upTo", r.upToTimestamp());
        out.put("byDevice", r.byDevice());
      }
      case UnlinkedEvent u -> {
        out.put("type", "unlinked");
        out.put("reason", u.reason());
        out.put("at", u.at());
        out.put("message", u.message());
      }
      case WarningEvent w -> {
        out.put("type", "warning");
        out.put("code", w.code());
        out.put("message", w.message());
        if (w.until() > 0) {
          out.put("unlinkAt", w.until());
        }
      }
      case GroupEvent g -> {
        out.put("type", "group");
        out.put("kind", g.kind());
        out.put("group", g.group());
        out.put("name", g.name());
        out.put("by", g.by());
        out.put("added", g.added());
        out.put("removed", g.removed());
        out.put("version", g.version());
        out.put("timestamp", g.timestamp());
      }
      case UntrustedEvent u -> {
        out.put("type", "untrusted");
        out.put("reason", u.reason());
        out.put("from", u.from());
        out.put("fromDevice", u.fromDevice());
        out.put("timestamp", u.timestamp());
        out.put("message", u.message());
      }
      case IdentityChangedEvent i -> {
        out.put("type", "identity-changed");
        out.put("phone", i.phone());
        out.put("oldSafetyNumber", i.oldSafetyNumber());
        out.put("newSafetyNumber", i.newSafetyNumber());
        out.put("held", i.held());
        out.put("timestamp", i.timestamp());
      }
      case HistorySyncEvent h -> {
        out.put("type", "history-sync");
        out.put("state", h.state());
        out.put("part", h.part());
        out.put("lastPart", h.lastPart());
        out.put("records", h.records());
        out.put("imported", h.imported());
        out.put("bytes", h.bytes());
        out.put("downloaded", h.downloaded());
        out.put("from", h.fromTimestamp());
        out.put("to", h.toTimestamp());
      }
    }
    return out;
  }
}
