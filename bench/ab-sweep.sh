#!/usr/bin/env bash
# The open-loop sweep of two builds in one run, rate by rate taking turns, so that a server change
# is judged against its parent on the same machine in the same minutes (issue 16).
#
#   bench/ab-sweep.sh --before REV [--after REV] [--rates "1000 2000 3000" | --max N [--fractions "0.25 0.5 0.75"]]
#                     [--warmup S] [--duration S] [--users N] [--devices D] [--server-cpus LIST] [--client-cpus LIST]
#                     [--bench-args "..."] [--before-args "..."] [--after-args "..."] [OUT_DIR]
#
# "before" is REV (any git revision) built in a scratch copy; "after" is --after REV the same way, or
# else this working tree (built afresh). With --max N (a closed-loop maximum in messages/s) the rates
# are those fractions of it. At each rate both builds run, before first at odd rates and after first
# at even ones, so that a machine getting busier or quieter during the sweep favours neither.
# --server-cpus pins the server the bench starts (taskset), --client-cpus the bench itself;
# --bench-args go to every run of both builds (e.g. "--ack-delay 1ms": both must know the option);
# --before-args / --after-args to one side only (--before HEAD --after HEAD --before-args
# "--server-ack-hold-ms 0" compares one build with and without the writer's ack hold).
# Results: OUT_DIR/sweep-before.jsonl, sweep-after.jsonl, one .txt per run, machine.txt (uptime before
# and after each run) and sweep.md (default OUT_DIR: bench-results/ab-<time>).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
before="" after="" rates="" max="" fractions="0.25 0.5 0.75" warmup=10 duration=20 users=500 devices=2 out=""
server_cpus="" client_cpus="" bench_args="" before_args="" after_args=""
need() { [[ $# -ge 2 ]] || { echo "ab-sweep.sh: $1 needs a value (see --help)" >&2; exit 2; }; }
number() { [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "ab-sweep.sh: $1 takes numbers, not '$2' (see --help)" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  [[ "$1" == -* && "$1" != -h && "$1" != --help ]] && need "$@"
  case "$1" in
    --before) before=$2; shift 2;;
    --after) after=$2; shift 2;;
    --rates) rates=$2; shift 2;;
    --max) max=$2; shift 2;;
    --fractions) fractions=$2; shift 2;;
    --warmup) warmup=$2; shift 2;;
    --duration) duration=$2; shift 2;;
    --users) users=$2; shift 2;;
    --devices) devices=$2; shift 2;;
    --server-cpus) server_cpus=$2; shift 2;;
    --client-cpus) client_cpus=$2; shift 2;;
    --bench-args) bench_args=$2; shift 2;;
    --before-args) before_args=$2; shift 2;;
    --after-args) after_args=$2; shift 2;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    -*) echo "ab-sweep.sh: unknown option $1 (see --help)" >&2; exit 2;;
    *) out=$1; shift;;
  esac
done
[[ -n "$before" ]] || { echo "ab-sweep.sh: --before REV is required (see --help)" >&2; exit 2; }
for value in $rates; do number --rates "$value"; done
[[ -z "$max" ]] || number --max "$max"
for value in $fractions; do number --fractions "$value"; done
if [[ -z "$rates" ]]; then
  [[ -n "$max" ]] || { echo "ab-sweep.sh: give --rates \"R1 R2 ...\" or --max N (see --help)" >&2; exit 2; }
  rates="$(python3 -c 'import sys; m=float(sys.argv[1]); print(" ".join(str(round(m*float(f))) for f in sys.argv[2].split()))' "$max" "$fractions")"
fi
git -C "$root" rev-parse --verify --quiet "$before^{commit}" > /dev/null \
  || { echo "ab-sweep.sh: '$before' is not a git revision here" >&2; exit 2; }
out="${out:-$root/bench-results/ab-$(date -u +%Y%m%dT%H%M%SZ)}"
[[ -z "$(ls -A "$out" 2>/dev/null)" ]] || { echo "ab-sweep.sh: $out is not empty (results are appended); give a new OUT_DIR" >&2; exit 2; }
mkdir -p "$out"

# Maven needs a JDK that compiles --release 21 (parley-bench picks its own for the runs).
if [[ -z "${JAVA_HOME:-}" ]]; then
  for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/temurin-2[1-9]*; do
    [[ -x "$candidate/bin/javac" ]] && { export JAVA_HOME="$candidate"; break; }
  done
fi
scratch="$(mktemp -d /tmp/parley-ab.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
# A revision's bench, built from `git archive` in the scratch directory (never installed: ~/.m2 is shared).
build_rev() {
  local rev=$1 dir=$2
  mkdir -p "$dir"
  echo "building $rev in $dir..." >&2
  git -C "$root" archive "$rev" | tar -x -C "$dir"
  (cd "$dir" && ./mvnw -q -B -pl bench -am package -DskipTests -DskipITs) >&2
}
build_rev "$before" "$scratch/before"
before_bench="$scratch/before/bench/parley-bench"
if [[ -n "$after" ]]; then
  build_rev "$after" "$scratch/after"
  after_bench="$scratch/after/bench/parley-bench"
  after_name="$after ($(git -C "$root" rev-parse --short "$after"))"
else
  echo "building the working tree..." >&2
  (cd "$root" && ./mvnw -q -B -pl bench -am package -DskipTests -DskipITs) >&2
  after_bench="$here/parley-bench"
  after_name="working tree at $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' + changes')"
fi

{
  echo "start: $(date -u)"
  echo "before: $before ($(git -C "$root" rev-parse --short "$before")); after: $after_name"
  echo "rates: $rates; warmup $warmup s, duration $duration s, $users users x $devices devices"
  echo "server cpus: ${server_cpus:-any}; bench cpus: ${client_cpus:-any}; bench args: ${bench_args:-none};"\
    "before only: ${before_args:-none}; after only: ${after_args:-none}"
} > "$out/machine.txt"
n=0
for rate in $rates; do
  n=$((n + 1))
  order="before after"
  (( n % 2 == 0 )) && order="after before"
  for side in $order; do
    bench="$before_bench"
    [[ "$side" == after ]] && bench="$after_bench"
    cmd=("$bench" relay --users "$users" --devices "$devices" --warmup "$warmup" --duration "$duration" --rate "$rate"
      --out "$out/sweep-$side.jsonl")
    [[ -n "$server_cpus" ]] && cmd+=(--server-cpus "$server_cpus")
    # shellcheck disable=SC2206  # the extra arguments are words on purpose
    [[ -n "$bench_args" ]] && cmd+=($bench_args)
    # shellcheck disable=SC2206
    [[ "$side" == before && -n "$before_args" ]] && cmd+=($before_args)
    # shellcheck disable=SC2206
    [[ "$side" == after && -n "$after_args" ]] && cmd+=($after_args)
    [[ -n "$client_cpus" ]] && cmd=(taskset -c "$client_cpus" "${cmd[@]}")
    echo "== $side, $rate messages/s ($(uptime | sed 's/.*load/load/'))" >&2
    echo "$(date -u +%H:%M:%S) $side $rate before-run $(uptime | sed 's/.*load/load/')" >> "$out/machine.txt"
    "${cmd[@]}" > "$out/sweep-$side-$rate.txt" 2> "$out/sweep-$side-$rate.err"
    echo "$(date -u +%H:%M:%S) $side $rate after-run $(uptime | sed 's/.*load/load/')" >> "$out/machine.txt"
  done
done
echo "end: $(date -u)" >> "$out/machine.txt"

python3 - "$out" > "$out/sweep.md" <<'PY'
import json, sys
out = sys.argv[1]
runs = {side: [json.loads(l) for l in open(f"{out}/sweep-{side}.jsonl")] for side in ("before", "after")}
def get(r, key, q):
    v = r.get(key, {})
    return v.get(q, "—") if isinstance(v, dict) else "—"
print("| messages/s | build | envelopes/s | delivered p50 / p99 / p99.9 / max ms | sent p50 / p99 ms | generator late p99 ms | server CPU % | server µs/msg | generator CPU % | lost |")
print("|---|---|---|---|---|---|---|---|---|---|")
for b, a in zip(runs["before"], runs["after"]):
    for side, r in (("before", b), ("after", a)):
        msgs = r["messages_delivered_per_s"] or 1
        print(f"| {r['load'].split(', ')[1].split(' ')[0]} | {side} | {r['envelopes_committed_per_s']:.0f} | "
              f"{get(r, 'submit_to_delivered_ms', 'p50')} / {get(r, 'submit_to_delivered_ms', 'p99')} / "
              f"{get(r, 'submit_to_delivered_ms', 'p99_9')} / {get(r, 'submit_to_delivered_ms', 'max')} | "
              f"{get(r, 'submit_to_sent_ms', 'p50')} / {get(r, 'submit_to_sent_ms', 'p99')} | {get(r, 'send_late_ms', 'p99')} | "
              f"{r['server_cpu_pct']} | {r['server_cpu_pct'] * 1e4 / msgs:.0f} | {r.get('client_cpu_pct', '—')} | {r['envelopes_lost']} |")
PY
cat "$out/sweep.md"
