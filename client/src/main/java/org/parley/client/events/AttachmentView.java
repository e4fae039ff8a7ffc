package org.parley.client.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An attachment of a message as events and {@code history --json} show it (README.md, commands).
 *
 * @param id what {@code parley attachment get} takes
 * @param fileName as the sender named it: for display only, never used as a path
 * @param path where this device stored the verified plaintext, or {@code null} until fetched
 * @param status {@code pending}, {@code offered} (from history sync: fetch on demand), {@code fetched}
 *     or {@code failed}
 * @param error why the last fetch failed, if it did
 */
public record AttachmentView(
    String id,
    String contentType,
    long size,
    String fileName,
    String path,
    String status,
    @JsonInclude(JsonInclude.Include.NON_NULL) String error) {}
