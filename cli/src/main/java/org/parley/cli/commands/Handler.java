package org.parley.cli.commands;

import org.parley.client.Device;

/**
 * One thing a device does, served alike to the command line and to the JSON-RPC API (DESIGN.md
 * §13, signal-cli's one-command-class shape): a method name, a parameters record whose components
 * are the method's camelCase parameters, and a result record. The CLI builds the parameters from
 * its options and renders the result with the plain or JSON writer; the RPC layer reads the
 * parameters from the request and returns the result as JSON. Through a running daemon, the CLI
 * sends the same parameters and renders the result it gets back, so both print the same.
 *
 * <p>A handler throws {@link IllegalArgumentException} for parameters it cannot take and {@link
 * org.parley.client.ClientException} for what the device or the server refused.
 */
public interface Handler<P, R> {
  String method();

  Class<P> params();

  Class<R> result();

  R handle(Device device, P params, Caller caller);

  /**
   * Whether the daemon runs this handler alone on its device (the default), or beside others
   * because it mostly waits ({@code receive}, {@code finishLink}): it must then only read, or call
   * what is safe beside anything else.
   */
  default boolean exclusive() {
    return true;
  }

  /** The body of a handler. */
  @FunctionalInterface
  interface Body<P, R> {
    R handle(Device device, P params, Caller caller);
  }

  static <P, R> Handler<P, R> of(String method, Class<P> params, Class<R> result, Body<P, R> body) {
    return define(method, params, result, body, true);
  }

  /** A handler that mostly waits, run beside the others (see {@link #exclusive()}). */
  static <P, R> Handler<P, R> waiting(String method, Class<P> params, Class<R> result, Body<P, R> body) {
    return define(method, params, result, body, false);
  }

  private static <P, R> Handler<P, R> define(
      String method, Class<P> params, Class<R> result, Body<P, R> body, boolean exclusive) {
    return new Handler<>() {
      @Override
      public String method() {
        return method;
      }

      @Override
      public Class<P> params() {
        return params;
      }

      @Override
      public Class<R> result() {
        return result;
      }

      @Override
      public R handle(Device device, P p, Caller caller) {
        return body.handle(device, p, caller);
      }

      @Override
      public boolean exclusive() {
        return exclusive;
      }

      @Override
      public String toString() {
        return method;
      }
    };
  }

  /** The parameters of a method that takes none. */
  record None() {}
}
