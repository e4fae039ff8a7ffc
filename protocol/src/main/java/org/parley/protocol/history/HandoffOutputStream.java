package org.parley.protocol.history;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Hands what is written, in blocks, to a thread of its own that writes it on: the writer goes on
 * producing while the thread compresses and encrypts, so a bundle's export uses both of a machine's
 * cores (at a million messages, reading and encoding is about half the work, deflating and
 * encrypting the other half). At most {@link #BLOCKS_IN_FLIGHT} blocks wait; a writer ahead of the
 * thread waits for it. A failure of the thread is thrown to the writer on its next write or close.
 */
final class HandoffOutputStream extends OutputStream {
  static final int BLOCKS_IN_FLIGHT = 4;
  private static final byte[] END = new byte[0];

  private final OutputStream out;
  private final BlockingQueue<byte[]> blocks = new ArrayBlockingQueue<>(BLOCKS_IN_FLIGHT);
  private final Thread thread;
  private final int blockBytes;
  private byte[] block;
  private int filled;
  private volatile IOException failure;
  private boolean closed;

  HandoffOutputStream(OutputStream out, int blockBytes) {
    this.out = out;
    this.blockBytes = blockBytes;
    this.block = new byte[blockBytes];
    this.thread = Thread.ofPlatform().daemon().name("history-bundle-writer").start(this::drain);
  }

  private void drain() {
    try {
      for (byte[] next = blocks.take(); next != END; next = blocks.take()) {
        if (failure == null) {
          try {
            out.write(next);
          } catch (IOException | RuntimeException e) {
            // Keep taking, so the writer never waits on a full queue; it hears of this on its next call.
            failure = e instanceof IOException io ? io : new IOException(e);
          }
        }
      }
    } catch (InterruptedException e) {
      failure = new InterruptedIOException("the bundle writer thread was interrupted");
    }
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    check();
    while (length > 0) {
      int n = Math.min(length, blockBytes - filled);
      System.arraycopy(bytes, offset, block, filled, n);
      filled += n;
      offset += n;
      length -= n;
      if (filled == blockBytes) {
        handOff(block);
        block = new byte[blockBytes];
        filled = 0;
      }
    }
  }

  /** Hands the partial block on; the bytes reach the file only when the chunk they fall in is sealed. */
  @Override
  public void flush() throws IOException {
    check();
    if (filled > 0) {
      handOff(java.util.Arrays.copyOf(block, filled));
      filled = 0;
    }
  }

  /** Hands the rest on, waits for the thread to write it all, then closes the stream beneath. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (failure == null && filled > 0) {
        put(java.util.Arrays.copyOf(block, filled));
      }
      put(END);
      thread.join();
    } catch (InterruptedException e) {
      // Stop the thread (it ends after the block in hand) and wait for it, so the stream beneath
      // is closed by one thread only.
      thread.interrupt();
      awaitThread();
      Thread.currentThread().interrupt();
      out.close();
      throw new InterruptedIOException("interrupted while the bundle was being finished");
    }
    out.close();
    if (failure != null) {
      throw new IOException("writing the bundle failed: " + failure.getMessage(), failure);
    }
  }

  private void awaitThread() {
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException again) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void handOff(byte[] full) throws IOException {
    try {
      put(full);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while writing the bundle");
    }
  }

  private void put(byte[] next) throws InterruptedException {
    blocks.put(next);
  }

  private void check() throws IOException {
    if (failure != null) {
      throw new IOException("writing the bundle failed: " + failure.getMessage(), failure);
    }
    if (closed) {
      throw new IOException("the bundle is already finished");
    }
  }
}
