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
  private final List<ProcessStats> more;

  public ProcessStats(long pid) {
    this.pid = pid;
    this.more = List.of();
  }

  private ProcessStats(List<ProcessStats> all) {
    this.pid = all.getFirst().pid;
    this.more = List.copyOf(all.subList(1, all.size()));
  }

  /** Several processes (the nodes of a cluster) as one: CPU and memory summed. */
  public static ProcessStats sum(List<ProcessStats> all) {
    return all.size() == 1 ? all.getFirst() : new ProcessStats(all);
  }

  public long pid() {
    return pid;
  }

  /** User plus system CPU time so far, in milliseconds (all threads). */
  public long cpuMillis() {
    return total(own(), ProcessStats::cpuMillis);
  }

  /** System (kernel) CPU time so far, in milliseconds: a share of {@link #cpuMillis}. */
  public long systemCpuMillis() {
    return total(own(false), ProcessStats::systemCpuMillis);
  }

  private long own() {
    return own(true);
  }

  private long own(boolean withUser) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // The command name may hold spaces; fields after its closing parenthesis are fixed.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = (withUser ? Long.parseLong(fields[11]) : 0) + Long.parseLong(fields[12]);
      return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Resident memory now, in bytes. */
  public long rssBytes() {
    return total(statusKb("VmRSS:") * 1024, ProcessStats::rssBytes);
  }

  /** Peak resident memory since the process started (high-water mark), in bytes. */
  public long peakRssBytes() {
    return total(statusKb("VmHWM:") * 1024, ProcessStats::peakRssBytes);
  }

  /** This process's figure plus the others'; unknown (-1) when any is. */
  private long total(long own, java.util.function.ToLongFunction<ProcessStats> figure) {
    long sum = own;
    for (ProcessStats other : more) {
      long value = figure.applyAsLong(other);
      if (sum < 0 || value < 0) {
        return -1;
      }
      sum += value;
    }
    return sum;
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
