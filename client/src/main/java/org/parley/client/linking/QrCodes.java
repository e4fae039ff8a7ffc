package org.parley.client.linking;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.EncodeHintType;
import com.google.zxing.NotFoundException;
import com.google.zxing.ChecksumException;
import com.google.zxing.FormatException;
import com.google.zxing.WriterException;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.client.j2se.MatrixToImageWriter;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.common.GlobalHistogramBinarizer;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.parley.client.ClientException;

/** QR codes with ZXing: drawn in a terminal, written as PNG, read back from a PNG. */
public final class QrCodes {
  private static final int QUIET_ZONE = 4;
  private static final int PNG_SIZE = 480;

  private QrCodes() {}

  private static BitMatrix encode(String text, int size) {
    try {
      return new QRCodeWriter()
          .encode(
              text,
              BarcodeFormat.QR_CODE,
              size,
              size,
              Map.of(
                  EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.M,
                  EncodeHintType.MARGIN, QUIET_ZONE,
                  EncodeHintType.CHARACTER_SET, "UTF-8"));
    } catch (WriterException e) {
      throw new ClientException("cannot draw the QR code: " + e.getMessage(), e);
    }
  }

  /**
   * The code in Unicode half blocks, two modules per character cell. Light modules are drawn and
   * dark ones left as background, which reads right on the usual dark terminal.
   */
  public static String terminal(String text) {
    BitMatrix matrix = encode(text, 0);
    StringBuilder out = new StringBuilder();
    for (int y = 0; y < matrix.getHeight(); y += 2) {
      for (int x = 0; x < matrix.getWidth(); x++) {
        boolean topLight = !matrix.get(x, y);
        boolean bottomLight = y + 1 >= matrix.getHeight() || !matrix.get(x, y + 1);
        out.append(topLight ? (bottomLight ? '█' : '▀') : (bottomLight ? '▄' : ' '));
      }
      out.append('\n');
    }
    return out.toString();
  }

  /** The code as a PNG image, for a page to show (the web companion draws it on the server side). */
  public static byte[] png(String text) {
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      MatrixToImageWriter.writeToStream(encode(text, PNG_SIZE), "PNG", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new ClientException("cannot draw the QR code: " + e.getMessage(), e);
    }
  }

  /** Writes the image under a temporary name first, so whoever waits for the file never reads half. */
  public static void writePng(String text, Path file) {
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    try {
      MatrixToImageWriter.writeToPath(encode(text, PNG_SIZE), "PNG", partial);
      java.nio.file.Files.move(
          partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new ClientException("cannot write the QR code to " + file + ": " + e.getMessage(), e);
    }
  }

  public static String readPng(Path file) {
    BufferedImage image;
    try {
      image = ImageIO.read(file.toFile());
    } catch (IOException e) {
      throw new ClientException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (image == null) {
      throw new ClientException(file + " is not an image");
    }
    // A clean rendering (a PNG written by 'parley link') reads best as a pure barcode; a photo or a
    // screenshot needs the finder-pattern search. The detector misses now and then on either kind,
    // so each way is tried, with both binarizers.
    BufferedImageLuminanceSource source = new BufferedImageLuminanceSource(image);
    List<BinaryBitmap> bitmaps =
        List.of(new BinaryBitmap(new HybridBinarizer(source)), new BinaryBitmap(new GlobalHistogramBinarizer(source)));
    List<Map<DecodeHintType, Object>> ways =
        List.of(
            Map.of(DecodeHintType.PURE_BARCODE, Boolean.TRUE),
            Map.of(DecodeHintType.TRY_HARDER, Boolean.TRUE));
    for (Map<DecodeHintType, Object> hints : ways) {
      for (BinaryBitmap bitmap : bitmaps) {
        try {
          return new QRCodeReader().decode(bitmap, hints).getText();
        } catch (NotFoundException | ChecksumException | FormatException e) {
          // try the next way
        }
      }
    }
    throw new ClientException("no readable QR code in " + file + "; pass the 'parley://link?' line with --uri instead");
  }
}
