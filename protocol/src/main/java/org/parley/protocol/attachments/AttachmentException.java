package org.parley.protocol.attachments;

import java.io.IOException;

/**
 * An attachment that must not be used: its blob has the wrong size, its digest or MAC does not
 * match, or it does not decrypt. An {@link IOException} so that it travels through stream reads.
 */
public final class AttachmentException extends IOException {
  public AttachmentException(String message) {
    super(message);
  }

  public AttachmentException(String message, Throwable cause) {
    super(message, cause);
  }
}
