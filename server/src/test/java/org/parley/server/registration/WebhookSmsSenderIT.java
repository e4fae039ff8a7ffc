package org.parley.server.registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The SMS gateway webhook: one JSON POST per code, to the URL the operator gave. */
class WebhookSmsSenderIT {
  @Test
  void postsThePhoneAndTheCodeAsJson() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    List<String> types = new CopyOnWriteArrayList<>();
    HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    gateway.createContext("/sms", exchange -> {
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      types.add(exchange.getRequestHeaders().getFirst("Content-Type"));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    gateway.start();
    try {
      SmsSender sender =
          SmsSenders.fromOption("webhook:http://127.0.0.1:" + gateway.getAddress().getPort() + "/sms", System.out);
      sender.send("+15550001201", "123456");

      await().until(() -> !bodies.isEmpty());
      assertThat(bodies.getFirst()).contains("\"phone\":\"+15550001201\"").contains("\"code\":\"123456\"");
      assertThat(types).containsExactly("application/json");
    } finally {
      gateway.stop(0);
    }
  }

  @Test
  void theConsoleSenderPrintsTheLineUsersLookFor() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SmsSenders.fromOption("console", new PrintStream(out, true, StandardCharsets.UTF_8)).send("+15550001202", "654321");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("verification code for +15550001202: 654321\n");
  }

  @Test
  void aBadOptionSaysWhatIsAccepted() {
    assertThatThrownBy(() -> SmsSenders.fromOption("carrier-pigeon", System.out))
        .hasMessageContaining("'console' or 'webhook:URL'");
    assertThatThrownBy(() -> SmsSenders.fromOption("webhook:ftp://x", System.out))
        .hasMessageContaining("http or https");
  }
}
