package org.parley.bench.net;

import io.netty.buffer.ByteBuf;

/**
 * Reads what the lean driver needs from a server frame (a protobuf {@code Frame}) where it lies in
 * the receive buffer, without building a message: an envelope push's guid and content, a response's
 * id, status and envelope count, the queue-empty signal. Every other field is stepped over by its
 * wire type, so fields the server adds or reorders cost nothing; a frame that does not hold
 * together (a length past its end) is refused. Not thread-safe: one per event loop.
 */
public final class ServerFrames {
  /** What a frame held. Indices are absolute in the buffer given to {@link #scan}, valid during the call. */
  public interface Sink {
    void envelope(ByteBuf buffer, int guidAt, int guidLength, int contentAt, int contentLength);

    void response(long id, int status, long envelopes);

    void queueEmpty();

    /** A push the driver has no use for (its field number in {@code Push}). */
    void otherPush(int field);
  }

  // Field numbers from wire.proto (ServerFramesTest builds frames with protobuf-java and scans them).
  static final int FRAME_RESPONSE = 2;
  static final int FRAME_PUSH = 3;
  static final int RESPONSE_ID = 1;
  static final int RESPONSE_STATUS = 2;
  static final int RESPONSE_SENT = 30;
  static final int SENT_ENVELOPES = 2;
  static final int PUSH_ENVELOPE = 1;
  static final int PUSH_QUEUE_EMPTY = 2;
  static final int ENVELOPE_GUID = 1;
  static final int ENVELOPE_CONTENT = 9;

  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;

  private ByteBuf buffer;
  private int position;

  /** Reads the frame in {@code [from, to)} of {@code buffer}; throws {@link MalformedFrameException} if it is not one. */
  public void scan(ByteBuf buffer, int from, int to, Sink sink) {
    this.buffer = buffer;
    this.position = from;
    while (position < to) {
      long tag = varint(to);
      if (tag == (FRAME_PUSH << 3 | LENGTH_DELIMITED)) {
        int end = lengthEnd(to);
        push(end, sink);
        position = end;
      } else if (tag == (FRAME_RESPONSE << 3 | LENGTH_DELIMITED)) {
        int end = lengthEnd(to);
        response(end, sink);
        position = end;
      } else {
        skip(tag, to);
      }
    }
  }

  private void push(int to, Sink sink) {
    while (position < to) {
      long tag = varint(to);
      int field = (int) (tag >>> 3);
      if (tag == (PUSH_ENVELOPE << 3 | LENGTH_DELIMITED)) {
        int end = lengthEnd(to);
        envelope(end, sink);
        position = end;
      } else if (tag == (PUSH_QUEUE_EMPTY << 3 | LENGTH_DELIMITED)) {
        position = lengthEnd(to);
        sink.queueEmpty();
      } else {
        skip(tag, to);
        sink.otherPush(field);
      }
    }
  }

  private void envelope(int to, Sink sink) {
    int guidAt = -1;
    int guidLength = 0;
    int contentAt = -1;
    int contentLength = 0;
    while (position < to) {
      long tag = varint(to);
      if (tag == (ENVELOPE_GUID << 3 | LENGTH_DELIMITED)) {
        int end = lengthEnd(to);
        guidAt = position;
        guidLength = end - position;
        position = end;
      } else if (tag == (ENVELOPE_CONTENT << 3 | LENGTH_DELIMITED)) {
        int end = lengthEnd(to);
        contentAt = position;
        contentLength = end - position;
        position = end;
      } else {
        skip(tag, to);
      }
    }
    if (guidAt < 0 || contentAt < 0) {
      throw new MalformedFrameException("an envelope without a guid or content");
    }
    sink.envelope(buffer, guidAt, guidLength, contentAt, contentLength);
  }

  private void response(int to, Sink sink) {
    long id = 0;
    int status = 0;
    long envelopes = 0;
    while (position < to) {
      long tag = varint(to);
      if (tag == (RESPONSE_ID << 3 | VARINT)) {
        id = varint(to);
      } else if (tag == (RESPONSE_STATUS << 3 | VARINT)) {
        status = (int) varint(to);
      } else if (tag == (RESPONSE_SENT << 3 | LENGTH_DELIMITED)) {
        int end = lengthEnd(to);
        while (position < end) {
          long inner = varint(end);
          if (inner == (SENT_ENVELOPES << 3 | VARINT)) {
            envelopes = varint(end);
          } else {
            skip(inner, end);
          }
        }
      } else {
        skip(tag, to);
      }
    }
    sink.response(id, status, envelopes);
  }

  private void skip(long tag, int to) {
    switch ((int) (tag & 7)) {
      case VARINT -> varint(to);
      case FIXED64 -> position = checked(position + 8, to);
      case LENGTH_DELIMITED -> position = lengthEnd(to);
      case FIXED32 -> position = checked(position + 4, to);
      default -> throw new MalformedFrameException("wire type " + (tag & 7) + " at " + position);
    }
  }

  /** Reads a length and returns where the field it announces ends. */
  private int lengthEnd(int to) {
    long length = varint(to);
    if (length > to - position) {
      throw new MalformedFrameException("a length of " + length + " past the frame's end");
    }
    return position + (int) length;
  }

  private long varint(int to) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position >= to) {
        throw new MalformedFrameException("a varint past the frame's end");
      }
      byte b = buffer.getByte(position++);
      value |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw new MalformedFrameException("a varint longer than 10 bytes");
  }

  private int checked(int end, int to) {
    if (end > to) {
      throw new MalformedFrameException("a fixed-size field past the frame's end");
    }
    return end;
  }

  /** A server frame that is not a protobuf Frame. */
  public static final class MalformedFrameException extends RuntimeException {
    MalformedFrameException(String message) {
      super(message, null, false, false);
    }
  }
}
