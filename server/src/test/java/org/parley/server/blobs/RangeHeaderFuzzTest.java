package org.parley.server.blobs;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** The blob Range header, as any client may write it: a range inside the blob, or none at all. */
class RangeHeaderFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void anyRangeHeaderIsWithinTheBlobOrRefused(String header, long size) {
    if (header == null) {
      return; // the mutator's null; nothing on the wire or in a file is null
    }
    if (size <= 0) {
      return;
    }
    long[] range = BlobAccess.parseRange(header, size);
    if (range != null && (range[0] < 0 || range[0] >= range[1] || range[1] > size)) {
      throw new AssertionError("'" + header + "' on " + size + " bytes gave [" + range[0] + ", " + range[1] + ")");
    }
  }
}
