#!/usr/bin/env bash
# The open-loop sweep of two builds in one run, rate by rate taking turns, so that a server change
# is judged against its parent on the same machine in the same minutes (issue 16).
#
#   bench/ab-sweep.sh --before REV [--rates "1000 2000 3000 4000"] [--warmup S] [--duration S]
#                     [--users N] [--devices D] [OUT_DIR]
#
# "before" is REV (any git revision) built in a scratch copy; "after" is this working tree. Results:
# OUT_DIR/sweep-before.jsonl, sweep-after.jsonl and sweep.md (default OUT_DIR: bench-results/ab-<time>).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
before="" rates="1000 2000 3000 4000" warmup=10 duration=20 users=500 devices=2 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --before) before=$2; shift 2;;
    --rates) rates=$2; shift 2;;
    --warmup) warmup=$2; shift 2;;
    --duration) duration=$2; shift 2;;
    --users) users=$2; shift 2;;
    --devices) devices=$2; shift 2;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    -*) echo "ab-sweep.sh: unknown option $1 (see --help)" >&2; exit 2;;
    *) out=$1; shift;;
  esac
done
[[ -n "$before" ]] || { echo "ab-sweep.sh: --before REV is required (see --help)" >&2; exit 2; }
out="${out:-$root/bench-results/ab-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

scratch="$(mktemp -d /tmp/parley-ab-before.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
echo "building $before in $scratch..." >&2
git -C "$root" archive "$before" | tar -x -C "$scratch"
(cd "$scratch" && ./mvnw -q -B -pl bench -am package -DskipTests -DskipITs) >&2
[[ -f "$here/target/parley-bench.jar" ]] || (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests -DskipITs) >&2

{ date -u; uptime; echo "before: $before ($(git -C "$root" rev-parse --short "$before")); after: $(git -C "$root" rev-parse --short HEAD) + working tree"; } > "$out/machine.txt"
for rate in $rates; do
  for side in before after; do
    bench="$here/parley-bench"
    [[ "$side" == before ]] && bench="$scratch/bench/parley-bench"
    echo "== $side, $rate messages/s" >&2
    "$bench" relay --users "$users" --devices "$devices" --warmup "$warmup" --duration "$duration" --rate "$rate" \
      --out "$out/sweep-$side.jsonl" > "$out/sweep-$side-$rate.txt"
  done
done
uptime >> "$out/machine.txt"

python3 - "$out" > "$out/sweep.md" <<'PY'
import json, sys
out = sys.argv[1]
runs = {side: [json.loads(l) for l in open(f"{out}/sweep-{side}.jsonl")] for side in ("before", "after")}
print("| messages/s | build | envelopes/s | p50 ms | p99 ms | p99.9 ms | max ms | server CPU % | server CPU µs/msg | lost |")
print("|---|---|---|---|---|---|---|---|---|---|")
for b, a in zip(runs["before"], runs["after"]):
    for side, r in (("before", b), ("after", a)):
        lat = r["submit_to_delivered_ms"]
        msgs = r["messages_delivered_per_s"] or 1
        print(f"| {r['load'].split(', ')[1].split(' ')[0]} | {side} | {r['envelopes_committed_per_s']:.0f} | {lat.get('p50')} | "
              f"{lat.get('p99')} | {lat.get('p99_9')} | {lat.get('max')} | {r['server_cpu_pct']} | "
              f"{r['server_cpu_pct'] * 1e4 / msgs:.0f} | {r['envelopes_lost']} |")
PY
cat "$out/sweep.md"
