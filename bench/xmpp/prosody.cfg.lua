-- Prosody for the side by side: the same job as Parley, set fairly (see BENCHMARKS.md).
-- Message carbons on, offline storage on, rate limits off (mod_limits not loaded), in-band
-- registration open and unthrottled (the bench registers its accounts in bulk before measuring),
-- plain TCP like the bench's ws://. DATA and PIDFILE are filled in by side-by-side.sh.
run_as_root = true
daemonize = false
pidfile = "PIDFILE"
data_path = "DATA"
network_backend = "epoll"
interfaces = { "127.0.0.1" }
c2s_ports = { 5222 }
log = { warn = "DATA/prosody.log" }

modules_enabled = {
  "roster"; "saslauth"; "disco"; "carbons"; "offline"; "register"; "ping"; "posix";
}
modules_disabled = { "s2s"; "limits"; "tls" }

allow_registration = true
min_seconds_between_registrations = 0
registration_throttle_max = 1000000
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
storage = "internal"

VirtualHost "localhost"
