package org.parley.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test that asks for a {@link TestServer} parameter a real relay of its own (fresh data
 * directory, ephemeral port), closed and deleted after the test.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(WithTestServer.Extension.class)
public @interface WithTestServer {
  final class Extension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == TestServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      Path data;
      try {
        data = Files.createTempDirectory("parley-server");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      TestServer server = TestServer.start(data);
      context.getStore(ExtensionContext.Namespace.create(WithTestServer.class, context.getUniqueId()))
          .put("server", (AutoCloseable) () -> {
            server.close();
            delete(data);
          });
      return server;
    }

    private static void delete(Path directory) throws IOException {
      try (Stream<Path> files = Files.walk(directory)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      }
    }
  }
}
