package org.parley.client.attachments;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * A small JPEG of an image, made on the sender (docs/PROTOCOL.md §14) and carried inside the end-to-end
 * message, so the server sees no more than the blob. Only images of a bounded size and pixel count
 * are decoded (a small file may claim a huge canvas); anything else simply has no thumbnail.
 */
public final class Thumbnails {
  /** Longest side of a thumbnail, in pixels. */
  static final int SIDE = 160;
  /** Larger thumbnails are dropped rather than sent: they ride in every envelope of the message. */
  static final int MAX_BYTES = 24 * 1024;
  private static final long MAX_FILE_BYTES = 25L * 1024 * 1024;
  private static final long MAX_PIXELS = 40_000_000;

  private Thumbnails() {}

  /** The image's thumbnail and size, or {@code null} when it is not an image this can read safely. */
  public record Thumbnail(byte[] jpeg, int width, int height) {}

  public static Thumbnail of(Path file, String contentType, long size) {
    if (!contentType.startsWith("image/") || size > MAX_FILE_BYTES) {
      return null;
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      if (in == null) {
        return null;
      }
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return null;
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0 || height <= 0 || (long) width * height > MAX_PIXELS) {
          return null;
        }
        BufferedImage image = reader.read(0);
        byte[] jpeg = jpeg(scaled(image));
        return jpeg.length > MAX_BYTES ? null : new Thumbnail(jpeg, width, height);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      // A damaged or exotic image: sent without a thumbnail.
      return null;
    }
  }

  private static BufferedImage scaled(BufferedImage image) {
    double scale = Math.min(1.0, (double) SIDE / Math.max(image.getWidth(), image.getHeight()));
    int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
    int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(image, 0, 0, w, h, java.awt.Color.WHITE, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  private static byte[] jpeg(BufferedImage image) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.7f);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }
}
