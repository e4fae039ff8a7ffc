package org.parley.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parley.client.events.AttachmentEvent;
import org.parley.client.events.AttachmentView;
import org.parley.client.events.MessageEvent;

/** What a contact put in an attachment pointer reaches the terminal without its control characters. */
class PlainOutputTest {
  static final String CLEAR = "\u001b[2J";

  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();
  final PlainOutput output =
      new PlainOutput(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

  @Test
  void anAttachmentsIdAndTypeFromTheSenderArePrintedWithoutEscapes() {
    AttachmentView pointer =
        new AttachmentView("id" + CLEAR, "text/plain" + CLEAR, 3, "a" + CLEAR + ".txt", null, "pending", null);
    MessageEvent message =
        new MessageEvent(MessageEvent.RECEIVED, "m1", "+15550001201", 1, null, null, "hi", 1, 1, "ok", null,
            List.of(pointer));
    output.event(message);
    output.event(new AttachmentEvent(
        "id" + CLEAR, "m1", "+15550001201", "text/plain" + CLEAR, 3, "a.txt", "/tmp/a.txt", "fetched", null));
    output.event(new AttachmentEvent(
        "id" + CLEAR, "m1", "+15550001201", "text/plain", 3, "a.txt", null, "failed", "bad" + CLEAR));

    String printed = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertThat(printed).doesNotContain("\u001b");
    assertThat(printed).contains("attachment id?[2J: a?[2J.txt (text/plain?[2J, 3 bytes)");
    assertThat(printed).contains("'parley attachment get id?[2J'");
    assertThat(printed).contains("attachment id?[2J (a.txt) of message m1");
  }

  @Test
  void aMessagesTextAndAGroupsNameArePrintedWithoutEscapesAndLineBreaksStayIndented() {
    output.event(new MessageEvent(
        MessageEvent.RECEIVED, "m2", "+15550001201", 1, null, null, "hi" + CLEAR + "\nsecond line", 1, 1, "ok"));
    output.event(new org.parley.client.events.GroupEvent(
        "created", "g1", "team" + CLEAR, "+15550001201", List.of(), List.of(), 1, 1));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed).doesNotContain("\u001b");
    assertThat(printed).contains(": hi?[2J\n    second line").contains("group team?[2J (g1)");
  }
}
