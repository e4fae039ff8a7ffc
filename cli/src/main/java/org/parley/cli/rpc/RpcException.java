package org.parley.cli.rpc;

/** A call that ends in a JSON-RPC error object. */
public final class RpcException extends RuntimeException {
  private final RpcError error;

  public RpcException(RpcError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public RpcException(int code, String message) {
    this(RpcError.of(code, message));
  }

  public RpcError error() {
    return error;
  }
}
