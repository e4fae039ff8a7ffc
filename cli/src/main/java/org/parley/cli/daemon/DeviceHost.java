package org.parley.cli.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.locks.ReentrantLock;
import org.parley.cli.commands.Caller;
import org.parley.cli.commands.Handler;
import org.parley.client.ClientConfig;
import org.parley.client.Device;

/**
 * One profile the daemon holds: the locked profile, its device receiving all the time, the feed of
 * its event log. Handlers run here one at a time (a device's sends, links and group
 * changes are not made to overlap), except those that only wait ({@link Handler#exclusive()}).
 */
final class DeviceHost implements AutoCloseable {
  /** Longest UNIX socket path the kernel takes is 107 bytes; beyond, the socket lives elsewhere. */
  private static final int MAX_SOCKET_PATH = 100;

  private final Path directory;
  private final ProfileLock lock;
  private final Device device;
  private final EventFeed feed;
  private final ReentrantLock calls = new ReentrantLock(true);
  /** Mints a login for the page served on this profile, or {@code null} when no page is served. */
  private volatile java.util.function.Supplier<String> webLogin;

  private DeviceHost(Path directory, ProfileLock lock, Device device) {
    this.directory = directory;
    this.lock = lock;
    this.device = device;
    this.feed = new EventFeed(device.events());
  }

  /** Takes the profile (refused if a daemon holds it already) and starts receiving on it. */
  static DeviceHost open(Path directory, ClientConfig config) {
    ProfileLock lock = ProfileLock.acquire(directory);
    try {
      restrict(directory);
      Device device = Device.open(directory, config);
      DeviceHost host = new DeviceHost(directory, lock, device);
      device.startReceiving();
      return host;
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  void webLogin(java.util.function.Supplier<String> login) {
    this.webLogin = login;
  }

  java.util.function.Supplier<String> webLogin() {
    return webLogin;
  }

  /** A profile holds private keys and the token: nobody but its owner reads it. */
  private static void restrict(Path directory) {
    try {
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException | UnsupportedOperationException e) {
      // a file system without POSIX permissions: nothing more to do
    }
  }

  Path directory() {
    return directory;
  }

  Device device() {
    return device;
  }

  EventFeed feed() {
    return feed;
  }

  /** The phone number of the account, or {@code null} before registration. */
  String phone() {
    return device.local().phone();
  }

  /** Whether {@code account} names this profile: its phone number or its directory's name. */
  boolean answersTo(String account) {
    return account.equals(phone()) || account.equals(directory.getFileName().toString());
  }

  <P, R> R run(Handler<P, R> handler, P params, Caller caller) {
    if (!handler.exclusive()) {
      return handler.handle(device, params, caller);
    }
    calls.lock();
    try {
      return handler.handle(device, params, caller);
    } finally {
      calls.unlock();
    }
  }

  /**
   * Where the control socket goes: {@code daemon.sock} in the profile, or, when that path is too
   * long for a UNIX socket, a private directory under the temporary directory.
   */
  Path controlSocket() {
    Path inProfile = directory.toAbsolutePath().resolve("daemon.sock");
    if (inProfile.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH) {
      return inProfile;
    }
    try {
      Path own = Path.of(System.getProperty("java.io.tmpdir"), "parley-" + System.getProperty("user.name"));
      if (!Files.isDirectory(own)) {
        Files.createDirectories(own, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(inProfile.toString().getBytes(StandardCharsets.UTF_8));
      return own.resolve(HexFormat.of().formatHex(digest, 0, 12) + ".sock");
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("no place for the control socket: " + e.getMessage(), e);
    }
  }

  void advertise(Path socket) {
    lock.advertise(socket);
  }

  @Override
  public void close() {
    try {
      device.close();
    } finally {
      lock.close();
    }
  }
}
