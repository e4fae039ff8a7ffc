package org.parley.server.blobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.parley.server.store.postgres.PostgresBlobStore;
import org.parley.server.store.postgres.StoreUrl;
import org.parley.server.testing.TestPostgres;

/**
 * Runs every {@link BlobStoreTest} once per {@link BlobStore} implementation, handing each run a
 * fresh, empty store of that implementation. A new implementation joins by adding its entry below.
 */
public final class BlobStoreImplementations implements TestTemplateInvocationContextProvider {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(BlobStoreImplementations.class);

  record Implementation(String name, Supplier<BlobStoreBackend> emptyStore) {}

  private static List<Implementation> implementations() {
    return List.of(new Implementation("files", FileBackend::new), new Implementation("postgresql", PostgresBackend::new));
  }

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getTestMethod().isPresent();
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
    return implementations().stream().map(Invocation::new);
  }

  private record Invocation(Implementation implementation) implements TestTemplateInvocationContext {
    @Override
    public String getDisplayName(int invocationIndex) {
      return "[" + implementation.name() + "]";
    }

    @Override
    public List<Extension> getAdditionalExtensions() {
      return List.of(new Resolver(implementation));
    }
  }

  private record Resolver(Implementation implementation) implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == BlobStoreBackend.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return context
          .getStore(NAMESPACE)
          .computeIfAbsent(BlobStoreBackend.class, key -> implementation.emptyStore().get(), BlobStoreBackend.class);
    }
  }

  /** The embedded store on a directory of its own. */
  static final class FileBackend implements BlobStoreBackend {
    private final Path directory;
    private final List<BlobStore> opened = new ArrayList<>();

    FileBackend() {
      try {
        directory = Files.createTempDirectory("parley-blobs-contract-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public BlobStore open() {
      try {
        BlobStore store = new FileBlobStore(directory);
        opened.add(store);
        return store;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      opened.reversed().forEach(BlobStore::close);
      try (Stream<Path> files = Files.walk(directory)) {
        for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The clustered store on an empty schema of its own in this JVM's test database (see {@link TestPostgres}). */
  static final class PostgresBackend implements BlobStoreBackend {
    private final TestPostgres.Schema schema = TestPostgres.createSchema("blobs");
    private final List<BlobStore> opened = new ArrayList<>();

    @Override
    public BlobStore open() {
      BlobStore store = new PostgresBlobStore(StoreUrl.parse(schema.storeUrl()));
      opened.add(store);
      return store;
    }

    @Override
    public void close() {
      opened.reversed().forEach(BlobStore::close);
      schema.drop();
    }
  }
}
