package org.parley.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** 'parley web' and 'parley daemon --http' say so when the page and its login leave loopback over plain HTTP. */
class WebWarningTest {
  static String warned(String host) throws Exception {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    WebCommand.warnIfNotLoopback(
        new PrintStream(err, true, StandardCharsets.UTF_8), new InetSocketAddress(InetAddress.getByName(host), 7380));
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anAddressBeyondLoopbackIsWarnedOfAndLoopbackIsNot() throws Exception {
    assertThat(warned("0.0.0.0")).contains("warning").contains("0.0.0.0").contains("plain HTTP");
    assertThat(warned("192.0.2.1")).contains("plain HTTP");
    assertThat(warned("127.0.0.1")).isEmpty();
    assertThat(warned("::1")).isEmpty();
  }
}
