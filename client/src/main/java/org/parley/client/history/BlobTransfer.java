package org.parley.client.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.parley.client.ClientException;
import org.parley.client.net.ServerConnection;
import org.parley.client.store.LocalDevice;
import org.parley.protocol.wire.BlobUpload;
import org.parley.protocol.wire.CreateBlobUpload;
import org.parley.protocol.wire.Request;

/**
 * Moves blobs between a file and the server's blob store over HTTP(S), with the device's own
 * credentials (HTTP Basic, as on its WebSocket). Bodies stream from and to files: a bundle is never
 * held in memory. A download continues from the bytes already in its file.
 */
public final class BlobTransfer implements AutoCloseable {
  private static final Pattern BLOB_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final int COPY_BYTES = 64 * 1024;
  /** How long a request may wait for the server's answer to begin. */
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);
  /** How long a download may go without a byte before it counts as broken off. */
  static final Duration READ_IDLE = Duration.ofSeconds(60);

  private final String httpBase;
  private final String authorization;
  private final HttpClient http;
  /** Watches the downloads of this transfer for silence (one virtual thread, gone with {@link #close}). */
  private final java.util.concurrent.ScheduledExecutorService watchdog =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("blob-watchdog").factory());

  public BlobTransfer(String serverUrl, UUID account, int device, byte[] credential, SSLContext ssl) {
    // Blobs live in a store every node reaches, so any node will do; the first one is asked.
    this.httpBase = httpBase(org.parley.client.net.ServerUrls.first(serverUrl));
    String credentials = account + "." + device + ":" + Base64.getEncoder().encodeToString(credential);
    this.authorization =
        "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    HttpClient.Builder builder =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1);
    if (ssl != null) {
      builder.sslContext(ssl);
    }
    this.http = builder.build();
  }

  /** As this device, on its server. */
  public static BlobTransfer forDevice(LocalDevice local, SSLContext ssl) {
    if (!local.isRegistered()) {
      throw new ClientException("this profile is not registered; run 'parley register' or 'parley link' first");
    }
    return new BlobTransfer(local.serverUrl(), local.account(), local.deviceId(), local.credential(), ssl);
  }

  /** Reserves a blob for the file (over the WebSocket), uploads it, and returns the blob's id. */
  public String upload(ServerConnection server, Path file) {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new ClientException("cannot read " + file + ": " + e.getMessage(), e);
    }
    BlobUpload reserved =
        server.call(Request.newBuilder().setCreateBlobUpload(CreateBlobUpload.newBuilder().setSize(size))).getBlobUpload();
    HttpResponse<String> response;
    try {
      response =
          http.send(
              request(reserved.getBlobId())
                  .expectContinue(true)
                  .PUT(HttpRequest.BodyPublishers.ofFile(file))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ClientException("uploading to " + httpBase + " failed (" + e.getMessage() + "); try again", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientException("the upload was interrupted", e);
    }
    if (response.statusCode() != 201) {
      throw refused("upload", response.statusCode(), response.body());
    }
    return reserved.getBlobId();
  }

  /**
   * Downloads a blob into {@code file}, continuing after the bytes already there; {@code progress}
   * hears the bytes held so far. Returns the offset the download started at (0 unless resumed).
   */
  public long download(String blobId, Path file, long size, LongConsumer progress) {
    try {
      return fetch(blobId, file, size, progress);
    } catch (Refused e) {
      throw refused("download", e.status, e.body);
    } catch (IOException e) {
      throw new ClientException(
          "downloading from " + httpBase + " broke off (" + e.getMessage() + "); run the import again to resume it", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientException("the download was interrupted; run the import again to resume it", e);
    }
  }

  /** The server answered a blob request with a refusal: its HTTP status and its line of text. */
  public static final class Refused extends IOException {
    public final int status;
    public final String body;

    Refused(int status, String body) {
      super("HTTP " + status + (body == null || body.isBlank() ? "" : ": " + body.strip()));
      this.status = status;
      this.body = body;
    }
  }

  /**
   * As {@link #download}, for callers that word their own errors: a refusal is a {@link Refused},
   * a connection that broke off any other IOException (the bytes that arrived stay in the file).
   */
  public long fetch(String blobId, Path file, long size, LongConsumer progress) throws IOException, InterruptedException {
    checkId(blobId);
    long held = Files.exists(file) ? Files.size(file) : 0;
    if (held > size) {
      Files.delete(file);
      held = 0;
    }
    if (held == size) {
      progress.accept(held);
      return held;
    }
    try (Download download = open(blobId, held)) {
      copy(download.body(), file, download.from(), size, progress);
      return download.from();
    }
  }

  /**
   * A blob's bytes on their way: from {@code from} on (the offset asked for, or 0 if the server sent
   * the whole blob instead). A body from which no byte comes for {@link #READ_IDLE} is closed, so
   * its reader gets an IOException (a break: the download continues later) rather than wait for ever.
   */
  public static final class Download implements AutoCloseable {
    private final long from;
    private final InputStream body;
    private final java.util.concurrent.ScheduledFuture<?> watch;
    private volatile long lastRead = System.nanoTime();

    private Download(long from, InputStream body, java.util.concurrent.ScheduledExecutorService watchdog) {
      this.from = from;
      this.body = body;
      long every = READ_IDLE.toNanos() / 4;
      this.watch = watchdog.scheduleAtFixedRate(this::check, every, every, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public long from() {
      return from;
    }

    public InputStream body() {
      return new java.io.FilterInputStream(body) {
        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
          int n = super.read(buffer, offset, length);
          lastRead = System.nanoTime();
          return n;
        }
      };
    }

    private void check() {
      if (System.nanoTime() - lastRead > READ_IDLE.toNanos()) {
        try {
          body.close();
        } catch (IOException e) {
          // closing is all that was wanted
        }
        watch.cancel(false);
      }
    }

    @Override
    public void close() throws IOException {
      watch.cancel(false);
      body.close();
    }
  }

  /**
   * Asks for a blob's bytes from {@code offset} on ({@code Range}); the caller reads and closes them.
   * A refusal is a {@link Refused}.
   */
  public Download open(String blobId, long offset) throws IOException, InterruptedException {
    checkId(blobId);
    HttpRequest.Builder request = request(blobId).timeout(RESPONSE_TIMEOUT).GET();
    if (offset > 0) {
      request.header("Range", "bytes=" + offset + "-");
    }
    HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    InputStream body = response.body();
    if (response.statusCode() == 206
        && response.headers().firstValue("Content-Range").orElse("").startsWith("bytes " + offset + "-")) {
      return new Download(offset, body, watchdog);
    }
    if (response.statusCode() == 200) {
      return new Download(0, body, watchdog);
    }
    try (body) {
      throw new Refused(response.statusCode(), new String(body.readNBytes(4096), StandardCharsets.UTF_8));
    }
  }

  /**
   * The bytes the server holds of a blob being uploaded ({@code HEAD}, tus 1.0's offset), or -1 if
   * it holds no such blob (expired, or never reserved).
   */
  public long uploadOffset(String blobId) throws IOException, InterruptedException {
    checkId(blobId);
    HttpResponse<String> response =
        http.send(request(blobId).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 404) {
      return -1;
    }
    if (response.statusCode() != 200) {
      throw new Refused(response.statusCode(), response.body());
    }
    return response.headers().firstValue("Upload-Offset").map(Long::parseLong)
        .orElseThrow(() -> new IOException("the server's answer to HEAD has no Upload-Offset"));
  }

  /**
   * Reserves an attachment blob and uploads its whole body in one request (tus 1.0's
   * creation-with-upload: {@code POST /v1/blobs} with {@code Upload-Length}), streamed; returns the
   * new blob's id. The server keeps nothing of a body that broke off: the caller starts over. A
   * refusal (a quota, or a server without this request) is a {@link Refused}.
   */
  public String create(InputStream body, long length) throws IOException, InterruptedException {
    HttpRequest.BodyPublisher publisher =
        HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), length);
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(httpBase + "/v1/blobs"))
                .header("Authorization", authorization)
                .header("Upload-Length", Long.toString(length))
                .header("Content-Type", "application/offset+octet-stream")
                .header("Tus-Resumable", "1.0.0")
                .POST(publisher)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new Refused(response.statusCode(), response.body());
    }
    String location = response.headers().firstValue("Location").orElse("");
    String id = location.substring(location.lastIndexOf('/') + 1);
    if (!validId(id)) {
      throw new IOException("the server's answer to the upload names no blob (Location: '" + location + "')");
    }
    return id;
  }

  /**
   * Continues an upload at {@code offset} with {@code length} bytes read from {@code body} (tus 1.0's
   * PATCH), streamed. Returns the offset the server holds afterwards. A connection that breaks off
   * throws an IOException; what arrived stays on the server, and {@link #uploadOffset} tells how much.
   */
  public long patch(String blobId, long offset, java.io.InputStream body, long length)
      throws IOException, InterruptedException {
    checkId(blobId);
    HttpRequest.BodyPublisher publisher =
        HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), length);
    HttpResponse<String> response =
        http.send(
            request(blobId)
                .header("Upload-Offset", Long.toString(offset))
                .header("Content-Type", "application/offset+octet-stream")
                .header("Tus-Resumable", "1.0.0")
                .method("PATCH", publisher)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 204) {
      throw new Refused(response.statusCode(), response.body());
    }
    return response.headers().firstValue("Upload-Offset").map(Long::parseLong).orElse(offset + length);
  }

  /**
   * Copies the body after the {@code from} bytes held, never past the announced {@code size}: a server
   * that sends more is refused before a byte too many reaches the disk.
   */
  static void copy(InputStream body, Path file, long from, long size, LongConsumer progress) throws IOException {
    StandardOpenOption mode = from > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
      byte[] buffer = new byte[COPY_BYTES];
      long held = from;
      while (true) {
        int n = body.read(buffer, 0, (int) Math.min(buffer.length, size - held + 1));
        if (n == -1) {
          break;
        }
        if (held + n > size) {
          throw new IOException("the server sent more than the announced " + size + " bytes");
        }
        out.write(buffer, 0, n);
        held += n;
        progress.accept(held);
      }
    }
  }

  /** Tells the server the blob has arrived whole, so it can delete it now rather than at expiry. */
  public void confirm(String blobId) {
    checkId(blobId);
    try {
      HttpResponse<String> response =
          http.send(request(blobId).timeout(RESPONSE_TIMEOUT).DELETE().build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200 && response.statusCode() != 404) {
        throw refused("deletion", response.statusCode(), response.body());
      }
    } catch (IOException e) {
      throw new ClientException("could not tell the server to delete the blob: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientException("interrupted", e);
    }
  }

  private HttpRequest.Builder request(String blobId) {
    return HttpRequest.newBuilder(URI.create(httpBase + "/v1/blobs/" + blobId)).header("Authorization", authorization);
  }

  /** True if the server could have issued this id (base64url, bounded): only such an id names a file here. */
  public static boolean validId(String blobId) {
    return blobId != null && BLOB_ID.matcher(blobId).matches();
  }

  private static void checkId(String blobId) {
    if (!validId(blobId)) {
      throw new ClientException("'" + blobId + "' is not a blob id");
    }
  }

  private ClientException refused(String what, int status, String body) {
    String reason = body == null || body.isBlank() ? "" : ": " + body.strip();
    String next =
        switch (status) {
          case 404 -> "; the blob was fetched already or has expired, so have the primary send history again";
          case 401 -> "; this device's credentials are no longer accepted";
          default -> "";
        };
    return new ClientException("the server refused the " + what + " (HTTP " + status + ")" + reason + next);
  }

  static String httpBase(String serverUrl) {
    String base = serverUrl.endsWith("/") ? serverUrl.substring(0, serverUrl.length() - 1) : serverUrl;
    if (base.startsWith("wss://")) {
      return "https://" + base.substring("wss://".length());
    }
    if (base.startsWith("ws://")) {
      return "http://" + base.substring("ws://".length());
    }
    return base;
  }

  /**
   * Stops at once, cutting off transfers still under way (each resumes: a fetch stays pending, a
   * send fails and is run again). Not {@code HttpClient.close()}, which waits for every exchange to
   * end, and may wait for ever on a body nobody reads any more.
   */
  @Override
  public void close() {
    watchdog.shutdownNow();
    http.shutdownNow();
  }
}
