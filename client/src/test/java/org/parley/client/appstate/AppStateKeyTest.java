package org.parley.client.appstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AppStateKeyTest {
  static final ChatRef BOB = ChatRef.direct(UUID.fromString("00000000-0000-0000-0000-00000000000b"));
  static final ChatRef GROUP = ChatRef.group("2f1e7c1a-9d5b-4c1e-8f3a-0a1b2c3d4e5f");

  @Test
  void everyKindReadsBackAsItWasWritten() {
    List<AppStateKey> keys =
        List.of(
            AppStateKey.contact("+15550001002"),
            AppStateKey.chat(AppStateKey.Kind.ARCHIVE, BOB),
            AppStateKey.chat(AppStateKey.Kind.PIN, GROUP),
            AppStateKey.chat(AppStateKey.Kind.UNREAD, BOB),
            AppStateKey.chat(AppStateKey.Kind.MUTE, GROUP),
            AppStateKey.chat(AppStateKey.Kind.ASSIGN, BOB),
            AppStateKey.label("0123456789abcdef"),
            AppStateKey.chatLabel("0123456789abcdef", GROUP),
            AppStateKey.messageLabel("0123456789abcdef", BOB, BOB.account(), "a/b:c%d e"),
            AppStateKey.note(BOB, "fedcba9876543210"));
    for (AppStateKey key : keys) {
      assertThat(AppStateKey.parse(key.toString())).isEqualTo(key);
    }
    assertThat(AppStateKey.chat(AppStateKey.Kind.ARCHIVE, BOB).toString())
        .isEqualTo("archive/u:00000000-0000-0000-0000-00000000000b");
  }

  @Test
  void aMessageIdChosenByAStrangerCannotAddParts() {
    AppStateKey key = AppStateKey.messageLabel("0123456789abcdef", BOB, BOB.account(), "x/../../label/ffff");
    assertThat(key.toString().split("/")).hasSize(5);
    assertThat(AppStateKey.parse(key.toString()).messageId()).isEqualTo("x/../../label/ffff");
  }

  @Test
  void anythingButTheCanonicalFormIsRefused() {
    for (String bad :
        List.of(
            "",
            "colour/x",
            "contact/5550001002",
            "contact/+15550001002/extra",
            "archive/+15550001002",
            "archive/u:not-a-uuid",
            "archive/U:00000000-0000-0000-0000-00000000000b",
            "label/0123456789ABCDEF",
            "label/0123",
            "note/u:00000000-0000-0000-0000-00000000000b",
            "chat-label/0123456789abcdef/g:bad group",
            "message-label/0123456789abcdef/u:00000000-0000-0000-0000-00000000000b/00000000-0000-0000-0000-00000000000b/",
            "message-label/0123456789abcdef/u:00000000-0000-0000-0000-00000000000b/00000000-0000-0000-0000-00000000000b/a%2fb%2Fc",
            "contact/+1555" + "0".repeat(600))) {
      assertThatThrownBy(() -> AppStateKey.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
