package org.parley.protocol.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.parley.protocol.AesGcm;
import org.parley.protocol.wire.HistoryContact;
import org.parley.protocol.wire.HistoryHeader;
import org.parley.protocol.wire.HistoryMessage;
import org.parley.protocol.wire.HistoryRecord;

class BundleCipherTest {
  static final int CHUNK = 1024;
  static final int SEALED_CHUNK = CHUNK + AesGcm.OVERHEAD;
  static final int HEADER = BundleFormat.HEADER_BYTES;

  final byte[] key = BundleFormat.newKey();
  final Random random = new Random(42);

  @Test
  void recordsRoundTripThroughManyChunks() throws Exception {
    List<HistoryRecord> written = new ArrayList<>();
    written.add(HistoryRecord.newBuilder().setContact(HistoryContact.newBuilder().setAccountId("a").setPhone("+1555")).build());
    for (int i = 0; i < 300; i++) {
      written.add(message(i, randomText(40)));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BundleWriter.Sealed sealed;
    try (BundleWriter writer = new BundleWriter(out, key, header(3), CHUNK)) {
      for (HistoryRecord record : written) {
        writer.write(record);
      }
      sealed = writer.finish();
    }
    byte[] bundle = out.toByteArray();
    assertThat(sealed.records()).isEqualTo(written.size());
    assertThat(sealed.size()).isEqualTo(bundle.length);
    assertThat(sealed.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(bundle));
    assertThat(bundle.length).as("spans several chunks").isGreaterThan(3 * SEALED_CHUNK);

    try (BundleReader reader = new BundleReader(new ByteArrayInputStream(bundle), key)) {
      assertThat(reader.header().getAccountId()).isEqualTo("account");
      assertThat(reader.header().getPart()).isEqualTo(3);
      assertThat(readAll(reader)).isEqualTo(written);
    }
  }

  @Test
  void aDestinationThatFailsOnTheWritersThreadFailsTheWriterAndNoThreadIsLeft() throws Exception {
    // The disk fills up after 4 KiB: deflating and encrypting happen on the writer's own thread.
    java.io.OutputStream full = new java.io.OutputStream() {
      long written;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int offset, int length) throws IOException {
        written += length;
        if (written > 4096) {
          throw new IOException("No space left on device");
        }
      }
    };
    BundleWriter writer = new BundleWriter(full, key, header(1), CHUNK);
    assertThatThrownBy(() -> {
          for (int i = 0; i < 20_000; i++) {
            writer.write(message(i, randomText(40)));
          }
          writer.finish();
        })
        .isInstanceOf(IOException.class)
        .hasStackTraceContaining("No space left on device");
    assertThatThrownBy(writer::close).as("closing says so again, and ends the thread").isInstanceOf(IOException.class);
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("history-bundle-writer"));
  }

  @Test
  void aBundleWithNothingButItsHeaderRoundTrips() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (BundleWriter writer = new BundleWriter(out, key, header(0), CHUNK)) {
      assertThat(writer.finish().records()).isZero();
    }
    try (BundleReader reader = new BundleReader(new ByteArrayInputStream(out.toByteArray()), key)) {
      assertThat(reader.next()).isNull();
    }
  }

  @Test
  void plaintextOfExactlyWholeChunksRoundTrips() throws Exception {
    byte[] plain = randomBytes(2 * CHUNK);
    byte[] bundle = encrypt(plain);
    assertThat(bundle).hasSize(HEADER + 2 * SEALED_CHUNK);
    assertThat(decrypt(bundle)).isEqualTo(plain);
  }

  @Test
  void aFlippedBitAnywhereIsRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(3 * CHUNK + 100));
    for (int position : new int[] {0, 5, HEADER + 3, HEADER + SEALED_CHUNK + 500, bundle.length - 1}) {
      byte[] tampered = bundle.clone();
      tampered[position] ^= 0x01;
      assertThatThrownBy(() -> decrypt(tampered)).as("bit flipped at %d", position).isInstanceOf(BundleException.class);
    }
  }

  @Test
  void aDroppedChunkIsRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(3 * CHUNK + 100));
    byte[] dropped = concat(header(bundle), chunk(bundle, 0), chunk(bundle, 2), chunk(bundle, 3));
    assertThatThrownBy(() -> decrypt(dropped))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("chunk 1");
  }

  @Test
  void swappedChunksAreRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(3 * CHUNK + 100));
    byte[] swapped = concat(header(bundle), chunk(bundle, 1), chunk(bundle, 0), chunk(bundle, 2), chunk(bundle, 3));
    assertThatThrownBy(() -> decrypt(swapped)).isInstanceOf(BundleException.class).hasMessageContaining("chunk 0");
  }

  @Test
  void aRepeatedChunkIsRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(3 * CHUNK + 100));
    byte[] repeated = concat(header(bundle), chunk(bundle, 0), chunk(bundle, 0), chunk(bundle, 1), chunk(bundle, 2), chunk(bundle, 3));
    assertThatThrownBy(() -> decrypt(repeated)).isInstanceOf(BundleException.class).hasMessageContaining("chunk 1");
  }

  @Test
  void aStreamTruncatedInsideAChunkIsRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(3 * CHUNK + 100));
    for (int length : new int[] {HEADER - 1, HEADER + 10, HEADER + SEALED_CHUNK + 700, bundle.length - 1}) {
      byte[] cut = Arrays.copyOf(bundle, length);
      assertThatThrownBy(() -> decrypt(cut)).as("cut to %d bytes", length).isInstanceOf(BundleException.class);
    }
  }

  @Test
  void aStreamCutBeforeItsFinalChunkIsRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(3 * CHUNK + 100));
    for (int chunks = 0; chunks <= 3; chunks++) {
      byte[] cut = Arrays.copyOf(bundle, HEADER + chunks * SEALED_CHUNK);
      assertThatThrownBy(() -> decrypt(cut)).as("cut after %d chunks", chunks).isInstanceOf(BundleException.class);
    }
  }

  @Test
  void aStreamCutAfterAFullFinalSizedChunkIsRefused() throws Exception {
    // The plaintext fills its chunks exactly: the first chunk is full, but was not sealed as final.
    byte[] bundle = encrypt(randomBytes(2 * CHUNK));
    byte[] cut = Arrays.copyOf(bundle, HEADER + SEALED_CHUNK);
    assertThatThrownBy(() -> decrypt(cut)).isInstanceOf(BundleException.class).hasMessageContaining("chunk 0");
  }

  @Test
  void bytesAppendedAfterTheFinalChunkAreRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(2 * CHUNK));
    byte[] extended = concat(bundle, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> decrypt(extended)).isInstanceOf(BundleException.class);
  }

  @Test
  void theWrongKeyIsRefused() throws Exception {
    byte[] bundle = encrypt(randomBytes(100));
    assertThatThrownBy(() -> readFully(new DecryptingInputStream(new ByteArrayInputStream(bundle), BundleFormat.newKey())))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void aTamperedRecordStreamFailsTheReaderWithTheChunkError() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (BundleWriter writer = new BundleWriter(out, key, header(0), CHUNK)) {
      for (int i = 0; i < 200; i++) {
        writer.write(message(i, randomText(40)));
      }
    }
    byte[] bundle = out.toByteArray();
    bundle[bundle.length - 20] ^= 0x40;
    assertThatThrownBy(() -> {
          try (BundleReader reader = new BundleReader(new ByteArrayInputStream(bundle), key)) {
            readAll(reader);
          }
        })
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("failed authentication");
  }

  @Test
  void somethingThatIsNotABundleIsRefusedByItsHeader() {
    byte[] junk = "GET / HTTP/1.1\r\n\r\n".getBytes();
    assertThatThrownBy(() -> decrypt(junk))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("not a Parley history bundle");
  }

  // ---------------------------------------------------------------- helpers

  private byte[] encrypt(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (EncryptingOutputStream encrypting = new EncryptingOutputStream(out, key, CHUNK)) {
      // odd-sized writes, so chunk boundaries fall inside writes
      for (int offset = 0; offset < plain.length; offset += 333) {
        encrypting.write(plain, offset, Math.min(333, plain.length - offset));
      }
    }
    return out.toByteArray();
  }

  private byte[] decrypt(byte[] bundle) throws IOException {
    return readFully(new DecryptingInputStream(new ByteArrayInputStream(bundle), key));
  }

  private static byte[] readFully(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private static byte[] header(byte[] bundle) {
    return Arrays.copyOf(bundle, HEADER);
  }

  private static byte[] chunk(byte[] bundle, int index) {
    int from = HEADER + index * SEALED_CHUNK;
    return Arrays.copyOfRange(bundle, from, Math.min(bundle.length, from + SEALED_CHUNK));
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static List<HistoryRecord> readAll(BundleReader reader) throws IOException {
    List<HistoryRecord> out = new ArrayList<>();
    for (HistoryRecord record = reader.next(); record != null; record = reader.next()) {
      out.add(record);
    }
    return out;
  }

  private static HistoryHeader header(int part) {
    return HistoryHeader.newBuilder().setAccountId("account").setPart(part).build();
  }

  private static HistoryRecord message(int i, String body) {
    return HistoryRecord.newBuilder()
        .setMessage(
            HistoryMessage.newBuilder()
                .setAuthorAccount("author")
                .setId("m" + i)
                .setAuthorDevice(1)
                .setChatAccount("chat")
                .setBody(body)
                .setTimestamp(1_700_000_000_000L + i))
        .build();
  }

  private byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    random.nextBytes(bytes);
    return bytes;
  }

  private String randomText(int n) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < n; i++) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    return text.toString();
  }
}
