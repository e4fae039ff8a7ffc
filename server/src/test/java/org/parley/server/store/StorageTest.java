package org.parley.server.store;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A contract test of {@link Storage}: it runs once per implementation (see {@link
 * StorageImplementations}), each time on a fresh, empty database. The method may take a {@link
 * Storage} (opened for it and closed after) or a {@link StorageBackend} (to close and reopen the same
 * database).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(StorageImplementations.class)
public @interface StorageTest {}
