package org.parley.server.blobs;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A contract test of {@link BlobStore}: it runs once per implementation (see {@link
 * BlobStoreImplementations}), each time on a fresh, empty store. The method takes a {@link
 * BlobStoreBackend} (to open the store, and to close and reopen it).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(BlobStoreImplementations.class)
public @interface BlobStoreTest {}
