package org.parley.server.store;

import java.nio.file.Path;

/** A store that can copy itself, consistent and while serving, into one file (the embedded store). */
public interface OnlineBackup {
  /** Writes a consistent copy of the whole store to {@code target}, which must not exist yet. */
  void backupTo(Path target);
}
