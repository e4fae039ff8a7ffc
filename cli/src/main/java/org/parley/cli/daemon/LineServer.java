package org.parley.cli.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Semaphore;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.parley.cli.rpc.JsonRpc;
import org.parley.cli.rpc.RpcError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON-RPC, one object per line, on a UNIX socket (mode 0600, and only the daemon's own user may
 * connect) or on TCP (loopback unless told otherwise; each connection first gives the token).
 * Connections are bounded; one more gets an error line and is closed.
 */
final class LineServer implements AutoCloseable {
  static final int MAX_CONNECTIONS = 64;

  private static final Logger log = LoggerFactory.getLogger(LineServer.class);

  private final ServerSocketChannel server;
  private final Path socketFile;
  private final boolean unix;
  private final JsonRpc rpc;
  private final Profiles profiles;
  private final Token token;
  private final DeviceHost own;
  private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
  private final Thread acceptor;
  private final java.util.Set<SocketChannel> clients = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private LineServer(
      ServerSocketChannel server, Path socketFile, JsonRpc rpc, Profiles profiles, Token token, DeviceHost own) {
    this.server = server;
    this.socketFile = socketFile;
    this.unix = socketFile != null;
    this.rpc = rpc;
    this.profiles = profiles;
    this.token = token;
    this.own = own;
    this.acceptor = Thread.ofPlatform().name("parley-accept-" + (unix ? "unix" : "tcp")).daemon().unstarted(this::accept);
  }

  /**
   * Listens on a UNIX socket at {@code path}, replacing a stale one (the caller holds the profile).
   *
   * @param own the profile calls without {@code account} are for (its control socket), or {@code null}
   */
  static LineServer unix(Path path, JsonRpc rpc, Profiles profiles, DeviceHost own) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    LineServer listening = new LineServer(server, path, rpc, profiles, null, own);
    listening.acceptor.start();
    return listening;
  }

  static LineServer tcp(InetSocketAddress address, JsonRpc rpc, Profiles profiles, Token token) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(address);
    LineServer listening = new LineServer(server, null, rpc, profiles, token, null);
    listening.acceptor.start();
    return listening;
  }

  SocketAddress address() throws IOException {
    return server.getLocalAddress();
  }

  private void accept() {
    while (server.isOpen()) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (server.isOpen()) {
          log.warn("accepting a connection failed", e);
        }
        continue;
      }
      if (unix && !sameUser(client)) {
        closeQuietly(client);
        continue;
      }
      if (!connections.tryAcquire()) {
        refuse(client, "the daemon serves at most " + MAX_CONNECTIONS + " connections at once");
        continue;
      }
      clients.add(client);
      OutputStream out = Channels.newOutputStream(client);
      LineSession session =
          new LineSession(
              Channels.newInputStream(client), out, () -> {
                clients.remove(client);
                closeQuietly(client);
                connections.release();
              },
              rpc, profiles, unix ? null : token, own);
      Thread.ofVirtual().name("parley-rpc-connection").start(session);
    }
  }

  /** Only the user the daemon runs as may use its UNIX socket, whatever the file's mode. */
  private static boolean sameUser(SocketChannel client) {
    try {
      UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
      return peer.user().getName().equals(System.getProperty("user.name"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private void refuse(SocketChannel client, String why) {
    try {
      String line = rpc.write(rpc.error(null, RpcError.of(RpcError.REFUSED, why))) + "\n";
      client.write(java.nio.ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      // it is being closed anyway
    }
    closeQuietly(client);
  }

  private static void closeQuietly(SocketChannel client) {
    try {
      client.close();
    } catch (IOException ignored) {
      // closed already
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    clients.forEach(LineServer::closeQuietly);
    if (socketFile != null) {
      try {
        Files.deleteIfExists(socketFile);
      } catch (IOException ignored) {
        // a stale socket is replaced on the next start
      }
    }
  }
}
