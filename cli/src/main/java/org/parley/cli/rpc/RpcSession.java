package org.parley.cli.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.parley.cli.commands.Caller;
import org.parley.cli.commands.Handler;

/**
 * One client's side of the JSON-RPC layer: a socket connection or an HTTP request. It runs handlers
 * on the device the call names ({@code account}, in multi-profile mode), says where a call's events
 * go while it runs, and serves the methods that belong to the connection itself.
 */
public interface RpcSession {
  /** Runs a handler on the device for {@code account} ({@code null}: the only one). */
  <P, R> R run(Handler<P, R> handler, P params, String account, Caller caller);

  /** Where a call's events go while it runs: notifications on this connection, or nowhere (HTTP). */
  Caller caller(JsonNode id, String account);

  /**
   * Serves a method of the connection itself ({@code subscribeReceive}, ...), returning its result,
   * or {@link #NOT_MINE} when the method is a handler's.
   */
  default Object own(String method, ObjectNode params, String account) {
    return NOT_MINE;
  }

  /** Throws an {@link RpcException} ({@link RpcError#UNAUTHORIZED}) while the client may not call this. */
  default void authorize(String method) {}

  Object NOT_MINE = new Object();
}
