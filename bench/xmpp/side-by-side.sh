#!/usr/bin/env bash
# Parley, ejabberd and Prosody on this machine, the same workload, one table (issue 7).
#
#   bench/xmpp/side-by-side.sh [--users N] [--devices D] [--payload BYTES] [--in-flight K | --rate R]
#                              [--warmup S] [--duration S] [--rounds N] [--server-cpu N] [--client-cpu N]
#                              [--transport auto|io_uring|epoll|nio] [--server-transport auto|io_uring|epoll|nio]
#
# Every server is pinned to one CPU (--server-cpu, default 0) and the load generator to the other
# (--client-cpu, default 1), so that each server gets one whole core and none competes with its load.
# The workload: USERS accounts of DEVICES devices (XMPP: resources with message carbons on); each
# message goes from a random device to another user, reaching every device of the recipient and
# every other device of the sender. Closed loop: IN-FLIGHT messages not yet delivered everywhere.
# Both sides are driven by the bench's lean drivers (one event loop; XMPP: prebuilt stanzas, no XML
# parser; Parley: prebuilt send frames, pushes scanned in place for the guid to ack); every run reports
# the generator's CPU and is flagged if its busiest second passed half its core. With
# --rounds N the three servers take turns N times (noise on a shared machine hits them alike).
# --transport: the socket API of both generators' event loop (default auto: io_uring where it runs, else epoll; io_uring is the one that
# cost the generator least per message, BENCHMARKS.md "Transport: io_uring"); --server-transport: Parley's
# server's (default: the server's own default). Each row of the table names the generator's transport.
# Installs ejabberd and Prosody from Debian if missing. Results: $WORK/results.jsonl and the table.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="$here/../parley-bench"
users=500 devices=2 payload=256 in_flight=512 rate=0 warmup=5 duration=20 rounds=1 server_cpu=0 client_cpu=1
transport=auto server_transport=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --users) users=$2; shift 2;;
    --devices) devices=$2; shift 2;;
    --payload) payload=$2; shift 2;;
    --in-flight) in_flight=$2; shift 2;;
    --rate) rate=$2; shift 2;;
    --warmup) warmup=$2; shift 2;;
    --duration) duration=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --server-cpu) server_cpu=$2; shift 2;;
    --client-cpu) client_cpu=$2; shift 2;;
    --transport) transport=$2; shift 2;;
    --server-transport) server_transport=$2; shift 2;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) echo "side-by-side.sh: unknown option $1 (see --help)" >&2; exit 2;;
  esac
done
work="${WORK:-/tmp/parley-side-by-side}"
results="$work/results.jsonl"
rm -rf "$work"; mkdir -p "$work"
load=(--users "$users" --devices "$devices" --payload "$payload" --in-flight "$in_flight" --rate "$rate"
      --warmup "$warmup" --duration "$duration" --transport "$transport" --out "$results")
parley_server=()
if [[ -n "$server_transport" ]]; then parley_server=(--server-transport "$server_transport"); fi

if ! command -v ejabberdctl >/dev/null || ! command -v prosody >/dev/null; then
  echo "installing ejabberd and prosody from Debian..." >&2
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ejabberd prosody >/dev/null
fi
# Debian's packages may have started their own instances; the bench runs its own configurations.
service ejabberd stop >/dev/null 2>&1 || true
service prosody stop >/dev/null 2>&1 || true

wait_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "side-by-side.sh: nothing listens on port $1 after 60 s" >&2; return 1
}

parley_round() {
  echo "== Parley" >&2
  taskset -c "$client_cpu" "$bench" relay --driver lean --server-cpus "$server_cpu" "${parley_server[@]}" --complete-on delivered "${load[@]}" >&2
}

ejabberd_round() {
  echo "== ejabberd" >&2
  local ej="$work/ejabberd"
  mkdir -p "$ej/spool" "$ej/logs"
  cp "$here/ejabberd.yml" "$ej/ejabberd.yml"
  # Debian's ejabberdctl.cfg names its own ejabberd.yml (overriding --config); give it one that does not.
  printf 'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\nEJABBERD_PID_PATH=%s/ejabberd.pid\n' "$ej" > "$ej/ejabberdctl.cfg"
  chown -R ejabberd:ejabberd "$ej"
  # ejabberdctl runs the node as user ejabberd through su, whose PAM session resets the open-files
  # limit to 1024: too few for a thousand clients ("Failed TCP accept: too many open files").
  local nofile
  nofile="$(ulimit -Hn)"
  printf 'ejabberd soft nofile %s\nejabberd hard nofile %s\n' "$nofile" "$nofile" > /etc/security/limits.d/parley-bench-ejabberd.conf
  local ejctl=(ejabberdctl --config "$ej/ejabberd.yml" --ctl-config "$ej/ejabberdctl.cfg" --spool "$ej/spool" --logs "$ej/logs")
  taskset -c "$server_cpu" "${ejctl[@]}" start
  "${ejctl[@]}" started
  wait_port 5222
  local ej_pid
  ej_pid="$(pgrep -f "beam.smp.*$ej/spool" | head -1)"
  taskset -a -cp "$server_cpu" "$ej_pid" >/dev/null
  taskset -c "$client_cpu" "$bench" xmpp --server-name ejabberd --server-pid "$ej_pid" --register "${load[@]}" >&2 || echo "ejabberd run failed" >&2
  "${ejctl[@]}" stop >/dev/null || true
  "${ejctl[@]}" stopped >/dev/null || true
}

prosody_round() {
  echo "== Prosody" >&2
  local pr="$work/prosody"
  mkdir -p "$pr/data"
  sed -e "s#PIDFILE#$pr/prosody.pid#" -e "s#DATA#$pr/data#g" "$here/prosody.cfg.lua" > "$pr/prosody.cfg.lua"
  taskset -c "$server_cpu" prosody --config "$pr/prosody.cfg.lua" > "$pr/stdout.log" 2>&1 &
  local pr_pid=$!
  wait_port 5222
  taskset -c "$client_cpu" "$bench" xmpp --server-name prosody --server-pid "$pr_pid" --register "${load[@]}" >&2 || echo "prosody run failed" >&2
  kill "$pr_pid"; wait "$pr_pid" 2>/dev/null || true
}

for round in $(seq 1 "$rounds"); do
  echo "== round $round of $rounds" >&2
  parley_round
  ejabberd_round
  prosody_round
done

echo >&2
echo "$(date -u +%FT%TZ), $(nproc) cores, server on CPU $server_cpu, load generator on CPU $client_cpu ($transport), load average $(cut -d' ' -f1-3 /proc/loadavg):"
"$bench" table "$results"
if grep -q '"client_cpu_over_limit":true' "$results"; then
  echo
  echo "WARNING: in some runs the load generator passed half its core (marked in the table): those runs may understate the server."
fi
