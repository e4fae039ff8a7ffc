#!/usr/bin/env bash
# Every figure of BENCHMARKS.md in one go (about 25 minutes on the 2-core machine).
#   bench/run-all.sh [OUT_DIR]      (default: bench-results/<UTC date>)
# Run it on a quiet machine: 'uptime' before and after is recorded next to the results, because
# two cores shared with anything else give noisy figures.
# Every figure lands in OUT_DIR as JSON lines (one file per set); at the end they are compared with
# the last recorded run (the newest bench/results/DATE) and every figure more than 10 % worse is
# flagged in OUT_DIR/compare.md (also: bench/parley-bench compare RECORDED_DIR OUT_DIR). To record a
# run, copy its directory to bench/results/DATE.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
b="$here/parley-bench"
out="${1:-$here/../bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
log() { echo "[$(date -u +%T)] $*" | tee -a "$out/run.log" >&2; }
field() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])[sys.argv[2]])" "$1" "$2"; }

{ date -u; nproc; lscpu | grep 'Model name'; uptime; } > "$out/machine.txt"

log "relay: maximum durable rate, 500 users x 2 devices (1,000 connected), closed loop"
"$b" relay --users 500 --devices 2 --warmup 15 --duration 30 --in-flight 512 --out "$out/relay-max.jsonl" > "$out/relay-max.txt"
max_env="$(field "$out/relay-max.jsonl" envelopes_committed_per_s)"
half_rate="$(python3 -c "print(round($max_env / 2 / 3))")"

log "relay: latency at half of that ($half_rate messages/s = $(python3 -c "print(round($max_env/2))") envelopes/s), open loop"
"$b" relay --users 500 --devices 2 --warmup 15 --duration 30 --rate "$half_rate" --out "$out/relay-half.jsonl" > "$out/relay-half.txt"

log "relay: open-loop sweep, the highest rate with p99 under 50 ms"
for rate in 1000 2000 3000 4000; do
  "$b" relay --users 500 --devices 2 --warmup 10 --duration 20 --rate "$rate" --out "$out/relay-sweep.jsonl" > "$out/relay-sweep-$rate.txt"
done

log "relay: 200 users x 5 devices (1,000 connected, 9 envelopes per message), closed loop"
"$b" relay --users 200 --devices 5 --warmup 15 --duration 30 --in-flight 256 --out "$out/relay-5dev.jsonl" > "$out/relay-5dev.txt"

# One account fills the queue far faster than the shipped per-account message rate allows; the filling
# is not what is measured, so the drain runs have the rate limits off.
log "drain: 10,000 queued envelopes, 5 rounds"
"$b" drain --envelopes 10000 --rounds 5 --server-rate-limits off --out "$out/drain.jsonl" > "$out/drain.txt"
log "drain: 100,000 queued envelopes (the most one device may hold), 2 rounds"
"$b" drain --envelopes 100000 --rounds 2 --server-rate-limits off --out "$out/drain-100k.jsonl" > "$out/drain-100k.txt"

log "connections: 19,000 idle devices held past the server's 120 s idle timeout"
"$b" connections --devices 19000 --source-addresses 2 --hold 150 --out "$out/connections.jsonl" > "$out/connections.txt"
"$b" connections --devices 19000 --source-addresses 2 --hold 10 --server-jvm "-Xms1g -Xmx1g -XX:+AlwaysPreTouch" \
  --out "$out/connections-fixed-heap.jsonl" > "$out/connections-fixed-heap.txt"

log "link, history, group, app state, attachments: real devices"
"$b" link --rounds 4 --out "$out/link.jsonl" > "$out/link.txt"
"$b" history --messages 100000 --chats 200 --out "$out/history.jsonl" > "$out/history.txt"
"$b" group --members 1024 --rounds 7 --out "$out/group.jsonl" > "$out/group.txt"
"$b" app-state --changes 300 --contacts 10000 --chats 1000 --out "$out/app-state.jsonl" > "$out/app-state.txt"
PARLEY_BENCH_JVM=-Xmx64m "$b" attachments --sizes 1m,100m,1g --out "$out/attachments.jsonl" > "$out/attachments.txt"
PARLEY_BENCH_JVM=-Xmx64m "$b" attachments --sizes 2g --no-baseline --out "$out/attachments-2g.jsonl" > "$out/attachments-2g.txt"

log "daemon: send round trip through JSON-RPC, events per second to a subscriber, a command standalone vs through it"
shm="$(mktemp -d /dev/shm/parley-daemon-bench.XXXXXX)" # the relay's data in memory: its fsync left out
"$b" daemon --sends 500 --events 1000 --commands 7 --parley "$here/../parley" --server-data "$shm/server" \
  --out "$out/daemon.jsonl" > "$out/daemon.txt"
rm -rf "$shm"

log "jmh: client send path"
"$b" jmh -rf json -rff "$out/jmh.json" SendPathBenchmark > "$out/jmh.txt" 2>&1

log "side by side with ejabberd and Prosody"
WORK=/tmp/parley-side-by-side "$here/xmpp/side-by-side.sh" --users 500 --devices 2 --warmup 15 --duration 30 --in-flight 128 --rounds 3 \
  > "$out/side-by-side.md" 2> "$out/side-by-side.log"
cp /tmp/parley-side-by-side/results.jsonl "$out/side-by-side.jsonl"

uptime >> "$out/machine.txt"

recorded="$(for d in "$here"/results/*/; do [[ "$(realpath "$d")" != "$(realpath "$out")" ]] && echo "$d"; done | sort | tail -1)"
if [[ -n "$recorded" ]]; then
  log "compare with the last recorded run, $recorded"
  "$b" compare "$recorded" "$out" > "$out/compare.md" || log "some figures are more than 10 % worse than $recorded: see $out/compare.md"
fi
log "done: $out"
