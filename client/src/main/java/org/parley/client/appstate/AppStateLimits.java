package org.parley.client.appstate;

import java.time.Duration;

/**
 * Every bound of app state (DESIGN.md §16). Local changes past a bound are refused with a sentence
 * saying which; a mutation from another own device past one is refused with a warning (it could only
 * come from a device built with other bounds, or a broken one).
 */
public final class AppStateLimits {
  private AppStateLimits() {}

  /** Labels an account may have at once. */
  public static final int MAX_LABELS = 100;

  public static final int MAX_LABEL_NAME_CHARS = 50;

  public static final int MAX_CONTACT_NAME_CHARS = 100;

  /** An internal note, in bytes of UTF-8. */
  public static final int MAX_NOTE_BYTES = 4096;

  /** Notes on one chat. */
  public static final int MAX_NOTES_PER_CHAT = 500;

  /** One mutation as encoded (key, value and the rest): a note at its largest fits. */
  public static final int MAX_MUTATION_BYTES = 6 * 1024;

  /**
   * Entries (deletions included) a device keeps: the whole log is bounded. A local change that would
   * add one more is refused; mutations from other own devices may go {@link #REMOTE_SLACK} beyond, as
   * two devices may each add the last one at once.
   */
  public static final int MAX_ENTRIES = 100_000;

  public static final int REMOTE_SLACK = 10_000;

  /** Mutations in one sync message (its plaintext stays far below the server's envelope bound). */
  public static final int MAX_BATCH_BYTES = 64 * 1024;

  /**
   * How long a deletion is kept. Past this no older mutation can still arrive (the server keeps an
   * undelivered envelope 30 days by default), and the version clock never goes back, so a key set
   * again after its deletion is forgotten still wins.
   */
  public static final Duration KEEP_DELETIONS = Duration.ofDays(90);
}
