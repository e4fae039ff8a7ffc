package org.parley.server.blobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Blobs as files in one directory beside the database: {@code ID.meta} (owner, size, expiry) from
 * the reservation on, {@code ID.part} while an upload runs, {@code ID.blob} once it completed. A
 * blob exists exactly as long as its meta file does; bytes are written and read outside the lock,
 * the small state changes (reserve, complete, delete, expire) under it.
 */
public final class FileBlobStore implements BlobStore {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{32}");
  private static final String META = ".meta";
  private static final String PART = ".part";
  private static final String BLOB = ".blob";

  private final Path directory;
  private final ReentrantLock lock = new ReentrantLock();

  public FileBlobStore(Path directory) throws IOException {
    this.directory = Files.createDirectories(directory);
    // No upload survives a restart; its leftover bytes would block the blob's next upload.
    try (DirectoryStream<Path> parts = Files.newDirectoryStream(directory, "*" + PART)) {
      for (Path part : parts) {
        Files.deleteIfExists(part);
      }
    }
  }

  /** Whether a string can be a blob id at all (so no request can name a path outside the store). */
  public static boolean isId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  @Override
  public Blob reserve(UUID account, int uploader, long size, long expiresAt) throws IOException {
    byte[] random = new byte[24];
    RANDOM.nextBytes(random);
    String id = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    Blob blob = new Blob(id, account, uploader, size, expiresAt, false);
    lock.lock();
    try {
      writeMeta(blob);
    } finally {
      lock.unlock();
    }
    return blob;
  }

  @Override
  public Optional<Blob> find(String id) throws IOException {
    if (!isId(id)) {
      return Optional.empty();
    }
    lock.lock();
    try {
      return readMeta(id);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int count(UUID account) throws IOException {
    lock.lock();
    try {
      int count = 0;
      for (String id : ids()) {
        Optional<Blob> blob = readMeta(id);
        if (blob.isPresent() && blob.get().account().equals(account)) {
          count++;
        }
      }
      return count;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Upload upload(String id) throws IOException {
    lock.lock();
    try {
      Blob blob = readMeta(id).orElseThrow(() -> new StateException("no such blob"));
      if (blob.uploaded()) {
        throw new StateException("this blob has been uploaded already");
      }
      try {
        FileChannel channel =
            FileChannel.open(file(id, PART), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new FileUpload(blob, channel);
      } catch (FileAlreadyExistsException e) {
        throw new StateException("another upload of this blob is under way");
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public InputStream open(String id, long offset) throws IOException {
    if (!isId(id)) {
      throw new NoSuchFileException(id);
    }
    FileChannel channel = FileChannel.open(file(id, BLOB), StandardOpenOption.READ);
    channel.position(offset);
    return Channels.newInputStream(channel);
  }

  @Override
  public void expireBy(String id, long expiresAt) throws IOException {
    lock.lock();
    try {
      Optional<Blob> blob = readMeta(id);
      if (blob.isPresent() && blob.get().expiresAt() > expiresAt) {
        Blob b = blob.get();
        writeMeta(new Blob(b.id(), b.account(), b.uploader(), b.size(), expiresAt, b.uploaded()));
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean delete(String id) throws IOException {
    if (!isId(id)) {
      return false;
    }
    lock.lock();
    try {
      boolean existed = Files.deleteIfExists(file(id, META));
      Files.deleteIfExists(file(id, BLOB));
      Files.deleteIfExists(file(id, PART));
      Files.deleteIfExists(file(id, META + ".tmp"));
      return existed;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int expire(long now) throws IOException {
    lock.lock();
    try {
      int expired = 0;
      for (String id : ids()) {
        Optional<Blob> blob = readMeta(id);
        // bytes without a meta file are left over from a delete that raced an upload, or a crash
        if (blob.isEmpty() || blob.get().expiresAt() <= now) {
          expired += delete(id) ? 1 : 0;
        }
      }
      return expired;
    } finally {
      lock.unlock();
    }
  }

  private Set<String> ids() throws IOException {
    Set<String> ids = new HashSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        if (dot > 0 && isId(name.substring(0, dot))) {
          ids.add(name.substring(0, dot));
        }
      }
    }
    return ids;
  }

  private Path file(String id, String suffix) {
    return directory.resolve(id + suffix);
  }

  private Optional<Blob> readMeta(String id) throws IOException {
    Properties meta = new Properties();
    try (Reader in = Files.newBufferedReader(file(id, META), StandardCharsets.UTF_8)) {
      meta.load(in);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new Blob(
              id,
              UUID.fromString(meta.getProperty("account")),
              Integer.parseInt(meta.getProperty("uploader")),
              Long.parseLong(meta.getProperty("size")),
              Long.parseLong(meta.getProperty("expires_at")),
              Files.exists(file(id, BLOB))));
    } catch (RuntimeException e) {
      throw new IOException("the meta file of blob " + id + " is damaged: " + e.getMessage(), e);
    }
  }

  /** Written whole to a temporary file and moved into place, so a reader never sees half of it. */
  private void writeMeta(Blob blob) throws IOException {
    Properties meta = new Properties();
    meta.setProperty("account", blob.account().toString());
    meta.setProperty("uploader", Integer.toString(blob.uploader()));
    meta.setProperty("size", Long.toString(blob.size()));
    meta.setProperty("expires_at", Long.toString(blob.expiresAt()));
    Path temporary = file(blob.id(), META + ".tmp");
    try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
      meta.store(out, null);
    }
    Files.move(temporary, file(blob.id(), META), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private final class FileUpload implements Upload {
    private final Blob blob;
    private final FileChannel channel;
    private long written;
    private boolean completed;

    FileUpload(Blob blob, FileChannel channel) {
      this.blob = blob;
      this.channel = channel;
    }

    @Override
    public void write(ByteBuffer bytes) throws IOException {
      if (written + bytes.remaining() > blob.size()) {
        throw new StateException("the upload is larger than the " + blob.size() + " bytes reserved");
      }
      while (bytes.hasRemaining()) {
        written += channel.write(bytes);
      }
    }

    @Override
    public long written() {
      return written;
    }

    @Override
    public void complete() throws IOException {
      if (written != blob.size()) {
        throw new StateException(
            "the upload has " + written + " bytes but " + blob.size() + " were reserved");
      }
      channel.force(true);
      channel.close();
      lock.lock();
      try {
        if (readMeta(blob.id()).isEmpty()) {
          throw new StateException("the blob expired or was deleted while it was being uploaded");
        }
        Files.move(file(blob.id(), PART), file(blob.id(), BLOB), StandardCopyOption.ATOMIC_MOVE);
        completed = true;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void close() throws IOException {
      channel.close();
      if (!completed) {
        Files.deleteIfExists(file(blob.id(), PART));
      }
    }
  }
}
