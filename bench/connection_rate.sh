#!/usr/bin/env bash
# What the connection rate limits cost each connection: the time from connect()
# to the greeting at RATE connections/second (default 200) for SECONDS (default
# 10), once from an exempt client (no counting: the peer in the same run) and
# once from a counted one (limits high enough never to refuse), against
# `sluice serve` (release build, SQLite). The difference of the p99s is what the
# counters add.
#
# usage: bench/connection_rate.sh [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-200}
seconds=${2:-10}
cargo build --release --quiet
work=$(mktemp -d /tmp/sluice-connrate.XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
smtp_port=29525; web_port=29580
cat > "$work/sluice.toml" <<CONF
hostname = "bench.example"
data_dir = "$work/data"
[listen]
smtp = "127.0.0.1:$smtp_port"
web = "127.0.0.1:$web_port"
[limits]
connections_per_minute = 1000000
connections_per_hour = 1000000
exempt = ["127.0.0.2/32"]
[smtp]
max_connections_per_ip = 1000
[[domains]]
name = "example.net"
destination = "127.0.0.1:29526"
CONF
SLUICE_LOG=warn "${CARGO_TARGET_DIR:-target}"/release/sluice serve --config "$work/sluice.toml" & pid=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$web_port/healthz" >/dev/null && break; sleep 0.1; done
echo "rate ${rate}/s for ${seconds}s"
printf 'exempt (not counted): '
python3 bench/connection_rate.py 127.0.0.1 $smtp_port 127.0.0.2 "$rate" "$seconds"
printf 'counted:              '
python3 bench/connection_rate.py 127.0.0.1 $smtp_port 127.0.0.3 "$rate" "$seconds"
