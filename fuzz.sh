#!/usr/bin/env bash
# Fuzzes every decoder a stranger can reach, each for MINUTES (default 5), one after another, with
# the Maven profile 'fuzz' (Jazzer, libFuzzer), starting from the committed inputs (the test's
# Inputs directory under src/test/resources, which the normal build replays). New corpus entries go
# to MODULE/target/fuzz-corpus/; a finding stops that test and leaves its input as crash-* in the
# module directory: add it to the Inputs directory, so the normal build replays it, then fix.
#   ./fuzz.sh [MINUTES] [Class#method ...]
set -euo pipefail
cd "$(dirname "$0")"
minutes="${1:-5}"
shift || true
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  tests=(
    protocol:org.parley.protocol.PhoneNumbersFuzzTest#anyTextIsNormalizedOrRefused
    protocol:org.parley.protocol.ProvisioningCipherFuzzTest#anyProvisioningMessageDecryptsOrIsRefused
    protocol:org.parley.protocol.history.BundleReaderFuzzTest#anyBlobIsReadOrRefused
    server:org.parley.server.transport.FrameFuzzTest#anyBytesFromAnyoneAreAnsweredNeverThrown
    server:org.parley.server.blobs.RangeHeaderFuzzTest#anyRangeHeaderIsWithinTheBlobOrRefused
    client:org.parley.client.messaging.EnvelopeFuzzTest#anythingTheServerDeliversIsReadOrRefused
    client:org.parley.client.linking.LinkUriFuzzTest#anyTextIsALinkOrRefused
    client:org.parley.client.linking.QrCodeFuzzTest#anyImageIsDecodedOrRefused
  )
fi
for entry in "${tests[@]}"; do
  module="${entry%%:*}"
  test="${entry#*:}"
  class="${test%%#*}"
  method="${test#*#}"
  inputs="$module/src/test/resources/${class//.//}Inputs/$method"
  scratch="$(pwd)/$module/target/fuzz-corpus/$method"
  mkdir -p "$scratch" "$inputs"
  echo "== fuzzing $test for $minutes min"
  ./mvnw -B -q -Pfuzz -pl "$module" -am test -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfuzz.test="$test" -Dfuzz.seconds=$((minutes * 60)) -Dfuzz.scratch="$scratch" -Dfuzz.corpus="$(pwd)/$inputs" \
    | grep -E "^(Done|stat::number_of_executed_units|== Java Exception)" || true
done
