package org.parley.bench.modes;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.parley.bench.CommonOptions;
import org.parley.bench.report.Result;
import org.parley.bench.server.ServerHandle;
import org.parley.client.Device;
import org.parley.client.attachments.AttachmentUploader.Outgoing;
import org.parley.client.events.AttachmentEvent;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.MessageEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Attachments (issue 14): a real device sends a file of each size to another over loopback, and
 * the figures are the sender's encrypt + upload (the whole {@code send}: sniffing, a thumbnail
 * attempt, the streamed AES-256-CBC + HMAC-SHA256 + SHA-256, the PATCH, its own copy in the profile
 * and the message) and the receiver's download + verify + decrypt + store (from the message's arrival
 * to its {@code attachment} event), beside {@code openssl enc -aes-256-cbc} + {@code sha256sum} on the
 * same file, and the peak heap of this JVM (run it with PARLEY_BENCH_JVM=-Xmx64m to show the
 * memory does not grow with the file).
 */
@Command(
    name = "attachments",
    mixinStandardHelpOptions = true,
    description = {
      "Attachments (issue #14): encrypt+upload and download+verify throughput for files of each size",
      "(generated on the fly, deleted afterwards), beside openssl enc -aes-256-cbc + sha256sum, and",
      "the peak heap. Run with PARLEY_BENCH_JVM=-Xmx64m to show constant memory."
    })
public final class AttachmentMode implements Callable<Integer> {
  private static final String ALICE = "+15554000001";
  private static final String BOB = "+15554000002";

  @Mixin CommonOptions common;

  @Option(names = "--sizes", defaultValue = "1m,100m,1g", split = ",", description = "File sizes: N, Nk, Nm, Ng (default ${DEFAULT-VALUE}).")
  List<String> sizes;

  @Option(names = "--no-baseline", description = "Leave out openssl + sha256sum on the same file.")
  boolean noBaseline;

  @Override
  public Integer call() throws Exception {
    return common.run((server, client) -> measure(server));
  }

  Result measure(ServerHandle server) throws Exception {
    Result result = new Result("attachments");
    Path scratch = Files.createTempDirectory("parley-bench-files");
    try (DeviceModes.Devices devices = new DeviceModes.Devices(server)) {
      Device alice = devices.register(ALICE);
      Device bob = devices.register(BOB);
      alice.sendText(BOB, "hello");
      bob.receive(java.time.Duration.ofMillis(500), e -> {});
      List<String> rows = new ArrayList<>();
      // One unreported 1 MB round first: the JIT's warm-up is not part of any size's figure.
      List<String> rounds = new ArrayList<>(List.of("warm-up"));
      rounds.addAll(sizes);
      for (String round : rounds) {
        boolean warmUp = round.equals("warm-up");
        String label = warmUp ? "1m" : round;
        long size = parse(label);
        Path file = scratch.resolve("file-" + label + ".bin");
        generate(file, size);
        // The same message without a file, just before: how much of the send is the message itself
        // (session encryption, the relay's commit, the profile's) rather than the attachment. Reported
        // beside the send, which stays the whole call (what a user waits for).
        long textStart = System.nanoTime();
        alice.sendText(BOB, "");
        double text = seconds(System.nanoTime() - textStart);
        resetPeaks();
        long start = System.nanoTime();
        alice.send(BOB, null, "", List.of(Outgoing.of(file)));
        double upload = seconds(System.nanoTime() - start);
        long uploadHeap = peakHeap();

        resetPeaks();
        long[] arrived = {0};
        long[] fetched = {0};
        String[] path = {null};
        String[] error = {null};
        bob.receive(java.time.Duration.ofSeconds(2), (ClientEvent e) -> {
          if (e instanceof MessageEvent m && !m.attachments().isEmpty()) {
            arrived[0] = System.nanoTime();
          }
          if (e instanceof AttachmentEvent a) {
            fetched[0] = System.nanoTime();
            path[0] = a.path();
            error[0] = a.error();
          }
        });
        if (path[0] == null) {
          throw new IllegalStateException("the receiver did not store the " + label + " file: " + error[0]);
        }
        double download = seconds(fetched[0] - arrived[0]);
        long downloadHeap = peakHeap();
        if (Files.size(Path.of(path[0])) != size) {
          throw new IllegalStateException("the stored file has the wrong size");
        }
        double[] openssl = !noBaseline ? openssl(file, scratch) : new double[] {0, 0};
        if (warmUp) {
          cleanUp(alice, path[0], file);
          continue;
        }
        String key = label.toLowerCase(Locale.ROOT);
        result.put("encrypt_upload_s_" + key, upload)
            .put("encrypt_upload_mb_s_" + key, size / 1e6 / upload)
            .put("download_verify_s_" + key, download)
            .put("download_verify_mb_s_" + key, size / 1e6 / download)
            .put("openssl_enc_sha256_s_" + key, openssl[0])
            .put("openssl_dec_sha256_s_" + key, openssl[1])
            .put("text_send_s_" + key, text)
            .put("peak_heap_mb_send_" + key, uploadHeap / 1e6)
            .put("peak_heap_mb_receive_" + key, downloadHeap / 1e6);
        rows.add(String.format(Locale.ROOT, "%6s  send %7.4f s (%6.1f MB/s)  receive %7.4f s (%6.1f MB/s)"
                + "  openssl+sha256sum enc %7.4f s / dec %7.4f s  text message alone %7.4f s  peak heap %5.1f / %5.1f MB",
            label, upload, size / 1e6 / upload, download, size / 1e6 / download, openssl[0], openssl[1], text,
            uploadHeap / 1e6, downloadHeap / 1e6));
        cleanUp(alice, path[0], file);
      }
      rows.forEach(System.out::println);
      result.put("max_heap_mb", Runtime.getRuntime().maxMemory() / 1e6);
    } finally {
      try (var paths = Files.walk(scratch)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return result;
  }

  /** Deletes the file, the receiver's copy and the sender's own copy: the next size has the disk. */
  private static void cleanUp(Device alice, String received, Path file) throws IOException {
    Files.deleteIfExists(Path.of(received));
    try (var stored = Files.list(alice.directory().resolve("attachments"))) {
      for (Path p : stored.filter(Files::isRegularFile).toList()) {
        Files.delete(p);
      }
    }
    Files.delete(file);
  }

  /** openssl enc then sha256sum of its output (as the sender does), then openssl enc -d + sha256sum of the blob. */
  private static double[] openssl(Path file, Path scratch) throws Exception {
    Path encrypted = scratch.resolve("openssl.enc");
    Path decrypted = scratch.resolve("openssl.dec");
    String key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    String iv = "0102030405060708090a0b0c0d0e0f10";
    long start = System.nanoTime();
    run("openssl", "enc", "-aes-256-cbc", "-K", key, "-iv", iv, "-in", file.toString(), "-out", encrypted.toString());
    run("sha256sum", encrypted.toString());
    double enc = seconds(System.nanoTime() - start);
    start = System.nanoTime();
    run("sha256sum", encrypted.toString());
    run("openssl", "enc", "-d", "-aes-256-cbc", "-K", key, "-iv", iv, "-in", encrypted.toString(), "-out", decrypted.toString());
    double dec = seconds(System.nanoTime() - start);
    Files.deleteIfExists(encrypted);
    Files.deleteIfExists(decrypted);
    return new double[] {enc, dec};
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    if (!process.waitFor(30, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed");
    }
  }

  /** Bytes that do not compress, written in 1 MiB pieces. */
  private static void generate(Path file, long size) throws IOException {
    SplittableRandom random = new SplittableRandom(size);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= chunk.length) {
        for (int i = 0; i < chunk.length; i += 8) {
          long value = random.nextLong();
          for (int b = 0; b < 8; b++) {
            chunk[i + b] = (byte) (value >>> (8 * b));
          }
        }
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
  }

  private static void resetPeaks() {
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  private static long peakHeap() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  static long parse(String size) {
    String s = size.strip().toLowerCase(Locale.ROOT);
    long unit = switch (s.charAt(s.length() - 1)) {
      case 'k' -> 1_000L;
      case 'm' -> 1_000_000L;
      case 'g' -> 1_000_000_000L;
      default -> 1L;
    };
    String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
    return Long.parseLong(digits) * unit;
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
