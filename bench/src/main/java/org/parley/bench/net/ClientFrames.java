package org.parley.bench.net;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Writes the lean driver's client WebSocket frames, one at a time, into one reusable array: the
 * protobuf payload is written by hand (the bytes protobuf-java would write for the same message, as
 * {@code ClientFramesTest} checks), then {@link #finish} puts the WebSocket header in front and masks
 * the payload with a random key, as RFC 6455 asks of a client and as Netty's client does. So the
 * server parses and unmasks exactly what it would from the full client. Not thread-safe: one per
 * event loop.
 */
public final class ClientFrames {
  // Tags (field number << 3 | wire type) of the fields the driver writes; field numbers from wire.proto.
  /** Frame.request. */
  public static final int FRAME_REQUEST = 1 << 3 | 2;
  /** Request.id. */
  public static final int REQUEST_ID = 1 << 3;
  /** Request.send_message. */
  public static final int REQUEST_SEND_MESSAGE = 30 << 3 | 2;
  /** Request.ack. */
  public static final int REQUEST_ACK = 31 << 3 | 2;
  /** SendMessage.timestamp. */
  public static final int SEND_TIMESTAMP = 1 << 3;
  /** SendMessage.messages. */
  public static final int SEND_MESSAGES = 2 << 3 | 2;
  /** Ack.guids. */
  public static final int ACK_GUIDS = 1 << 3 | 2;

  public static final int OP_BINARY = 0x2;
  public static final int OP_CLOSE = 0x8;
  public static final int OP_PING = 0x9;
  public static final int OP_PONG = 0xA;

  /** Largest client WebSocket header: 2 bytes, an 8-byte length, a 4-byte mask. */
  private static final int HEADROOM = 14;
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final SplittableRandom random;
  private byte[] buffer = new byte[4096];
  private int position;
  private int start;

  public ClientFrames(SplittableRandom random) {
    this.random = random;
  }

  /** Starts a frame whose payload will be {@code payloadBytes} long. */
  public ClientFrames begin(int payloadBytes) {
    if (buffer.length < HEADROOM + payloadBytes) {
      buffer = new byte[Integer.highestOneBit(HEADROOM + payloadBytes) << 1];
    }
    position = HEADROOM;
    return this;
  }

  public ClientFrames varint(long value) {
    position = putVarint(buffer, position, value);
    return this;
  }

  /** Writes {@code value} as a protobuf varint at {@code at}; returns where it ends. */
  public static int putVarint(byte[] bytes, int at, long value) {
    while ((value & ~0x7FL) != 0) {
      bytes[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    bytes[at++] = (byte) value;
    return at;
  }

  public ClientFrames bytes(byte[] bytes, int from, int length) {
    System.arraycopy(bytes, from, buffer, position, length);
    position += length;
    return this;
  }

  public ClientFrames bytes(io.netty.buffer.ByteBuf source, int from, int length) {
    source.getBytes(from, buffer, position, length);
    position += length;
    return this;
  }

  /** Writes {@code value} big-endian at {@code back} bytes before the current position (patches what was copied). */
  public ClientFrames patchLong(int back, long value) {
    LONGS.set(buffer, position - back, value);
    return this;
  }

  /** Puts the binary frame's header in front of the payload and masks it; the frame is {@link #array()} [{@link #start()}, {@link #end()}). */
  public ClientFrames finish() {
    return finish(OP_BINARY);
  }

  /** As {@link #finish()}, for another opcode (a pong, a close). */
  public ClientFrames finish(int opcode) {
    return finish(opcode, random.nextInt());
  }

  /** As {@link #finish(int)}, with the mask given (tests). */
  ClientFrames finish(int opcode, int mask) {
    int length = position - HEADROOM;
    int header = 2 + (length < 126 ? 0 : length <= 0xFFFF ? 2 : 8) + 4;
    start = HEADROOM - header;
    int at = start;
    buffer[at++] = (byte) (0x80 | opcode);
    if (length < 126) {
      buffer[at++] = (byte) (0x80 | length);
    } else if (length <= 0xFFFF) {
      buffer[at++] = (byte) (0x80 | 126);
      buffer[at++] = (byte) (length >>> 8);
      buffer[at++] = (byte) length;
    } else {
      buffer[at++] = (byte) (0x80 | 127);
      LONGS.set(buffer, at, (long) length);
      at += 8;
    }
    for (int shift = 24; shift >= 0; shift -= 8) {
      buffer[at++] = (byte) (mask >>> shift);
    }
    mask(buffer, HEADROOM, position, mask);
    return this;
  }

  /** Where the payload begins in {@link #array()} (before and after {@link #finish}). */
  public int payloadStart() {
    return HEADROOM;
  }

  public byte[] array() {
    return buffer;
  }

  public int start() {
    return start;
  }

  public int end() {
    return position;
  }

  /** XORs {@code [from, to)} with the 4-byte key, eight bytes at a time. */
  static void mask(byte[] bytes, int from, int to, int mask) {
    long wide = ((long) mask << 32) | (mask & 0xFFFFFFFFL);
    int i = from;
    for (; i + 8 <= to; i += 8) {
      LONGS.set(bytes, i, (long) LONGS.get(bytes, i) ^ wide);
    }
    for (; i < to; i++) {
      bytes[i] ^= (byte) (mask >>> (24 - 8 * ((i - from) & 3)));
    }
  }

  /** Bytes of {@code value} as a protobuf varint. */
  public static int varintSize(long value) {
    return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
  }

  /** Bytes of a length-delimited field of {@code length} bytes with a tag of {@code tag}. */
  public static int fieldSize(int tag, int length) {
    return varintSize(tag) + varintSize(length) + length;
  }
}
