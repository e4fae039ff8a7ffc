#!/usr/bin/env bash
# Runs the built image without a container runtime: unpacks its layers (in order) into a directory
# and starts its entrypoint there the way a runtime would (chroot, uid 10001, its own /proc), then
# checks /health/ready, 'parley admin stats' from the same image, and a SIGTERM drain.
#
# usage (as root, after -Pimage): cli/src/image/smoke-test.sh cli/target/parley-image.tar
set -euo pipefail
image="$(realpath "$1")"
work="$(mktemp -d)"
root="$work/root"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/image" "$root"
tar -xf "$image" -C "$work/image"
for layer in $(python3 -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))[0]['Layers']))" "$work/image/manifest.json"); do
  tar -xzf "$work/image/$layer" -C "$root" 2>/dev/null
done
entrypoint=$(python3 -c "
import json,sys,shlex
m=json.load(open(sys.argv[1]+'/manifest.json'))[0]
c=json.load(open(sys.argv[1]+'/'+m['Config']))['config']
print(' '.join(shlex.quote(a) for a in c['Entrypoint']))" "$work/image")
mkdir -p "$root/proc"
chroot_bin="$(command -v chroot)"

# In the image the server binds 0.0.0.0:8080 and 9464; here it stays on loopback and free ports.
run() {
  unshare --mount --pid --fork bash -c "mount -t proc proc '$root/proc' && exec env -i PATH=/opt/java/bin \
    PARLEY_DATA=/var/lib/parley/data PARLEY_BIND=127.0.0.1 PARLEY_PORT=0 PARLEY_ADMIN_BIND=127.0.0.1 PARLEY_ADMIN_PORT=0 \
    $chroot_bin --userspec=10001:10001 '$root' $entrypoint $*"
}
run server > "$work/server.out" 2>&1 &
for _ in $(seq 1 120); do grep -q '^admin on' "$work/server.out" && break; kill -0 $! 2>/dev/null || break; sleep 1; done
cat "$work/server.out"
url=$(awk '/^listening on/ {print $3}' "$work/server.out")
server_pid=$(pgrep -f "^/opt/java/bin/java.*org.parley.cli.Main server" | head -1)
curl -sf "${url/ws:/http:}/health/ready"
run admin stats
kill -TERM "$server_pid"
for _ in $(seq 1 60); do kill -0 "$server_pid" 2>/dev/null || break; sleep 1; done
grep -q '^stopped' "$work/server.out" || { echo "smoke test: no clean stop" >&2; exit 1; }
server_pid=""
echo "smoke test passed: the image serves, answers parley admin, and drains on SIGTERM"
