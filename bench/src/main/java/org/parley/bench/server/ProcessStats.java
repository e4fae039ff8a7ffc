package org.parley.bench.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time and memory of a process, read from /proc (Linux): what the side-by-side table reports
 * for every server, whatever it is written in.
 */
public final class ProcessStats {
  private static final long CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux x86-64

  private final long pid;

  public ProcessStats(long pid) {
    this.pid = pid;
  }

  public long pid() {
    return pid;
  }

  /** User plus system CPU time so far, in milliseconds (all threads). */
  public long cpuMillis() {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name may hold spaces; fields after its closing parenthesis are fixed.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
      return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Resident memory now, in bytes. */
  public long rssBytes() {
    return statusKb("VmRSS:") * 1024;
  }

  /** Peak resident memory since the process started (high-water mark), in bytes. */
  public long peakRssBytes() {
    return statusKb("VmHWM:") * 1024;
  }

  private long statusKb(String key) {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
      for (String line : lines) {
        if (line.startsWith(key)) {
          return Long.parseLong(line.substring(key.length()).replace("kB", "").strip());
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is gone
    }
    return -1;
  }
}
