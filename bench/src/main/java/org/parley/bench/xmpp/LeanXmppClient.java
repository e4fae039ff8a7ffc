package org.parley.bench.xmpp;

import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.parley.bench.net.SingleLoop;
import org.parley.server.transport.Transport;

/**
 * The lean XMPP load driver's network side: every connection on one event loop ({@link SingleLoop}),
 * so the workload's bookkeeping needs no locks and the generator costs its core as little as it can.
 */
final class LeanXmppClient implements AutoCloseable {
  private final SingleLoop net;
  private final InetSocketAddress server;
  private final String domain;

  LeanXmppClient(Transport transport, String host, int port, String domain) {
    this.net = new SingleLoop(transport);
    this.server = InetSocketAddress.createUnresolved(host, port);
    this.domain = domain;
  }

  /** The one thread every connection and the workload's bookkeeping run on. */
  EventLoop loop() {
    return net.loop();
  }

  /** Connects and logs in {@code user/resource} (registering it first if asked). */
  CompletableFuture<XmppLink> login(String user, String password, String resource, boolean register,
      XmppLink.Bodies bodies) {
    XmppLink link = new XmppLink(domain, user, password, resource, register, bodies);
    net.connect(server, null, link, link::failOpen);
    return link.ready();
  }

  @Override
  public void close() {
    net.close();
  }
}
