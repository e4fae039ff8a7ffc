package org.parley.server.store;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * Runs every {@link StorageTest} once per {@link Storage} implementation (DESIGN.md §10: all of them
 * pass one shared contract suite), handing each run a fresh database of that implementation.
 */
public final class StorageImplementations implements TestTemplateInvocationContextProvider {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(StorageImplementations.class);

  /** An implementation under contract, and how to make an empty database of it. */
  record Implementation(String name, Supplier<StorageBackend> emptyDatabase) {}

  /** A new implementation joins the suite by adding its entry here. */
  private static List<Implementation> implementations() {
    return List.of(
        new Implementation("sqlite", SqliteBackend::new),
        new Implementation("postgresql", PostgresBackend::new));
  }

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getTestMethod().isPresent();
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(
      ExtensionContext context) {
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

  /**
   * Supplies the run's database. The backend lives in the invocation's store, so JUnit closes it
   * (and with it every storage it opened) when the run ends, even when the test failed.
   */
  private record Resolver(Implementation implementation) implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      Class<?> type = parameter.getParameter().getType();
      return type == Storage.class || type == StorageBackend.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      StorageBackend backend =
          context
              .getStore(NAMESPACE)
              .computeIfAbsent(
                  StorageBackend.class, key -> implementation.emptyDatabase().get(), StorageBackend.class);
      return parameter.getParameter().getType() == Storage.class ? backend.open() : backend;
    }
  }
}
