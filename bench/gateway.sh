#!/usr/bin/env bash
# Gateway throughput: pushes COUNT corpus messages through `sluice serve` (release
# build, SQLite with fsync) over 10 concurrent SMTP sessions into Postfix's
# smtp-sink, and prints messages/second and the p50/p99 time from the end of DATA
# to the reply. The peer measured in the same run is smtp-sink itself (the same
# client straight into the sink): the ratio shows what filtering and durable
# queueing cost on this machine.
#
# usage: bench/gateway.sh [CORPUS_DIR] [COUNT]
#   CORPUS_DIR defaults to ../shared/corpus/spamassassin/ham (any dir of .eml files)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus/spamassassin/ham}
count=${2:-2000}
command -v smtp-sink >/dev/null || { echo "needs postfix's smtp-sink (apt-get install postfix)" >&2; exit 1; }

cargo build --release --quiet
work=$(mktemp -d /tmp/sluice-bench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

sink_port=27526; peer_port=27527; smtp_port=27525; web_port=27580
smtp-sink -u "$(id -un)" 127.0.0.1:$sink_port 256 & pids+=($!)
smtp-sink -u "$(id -un)" 127.0.0.1:$peer_port 256 & pids+=($!)
cat > "$work/sluice.toml" <<CONF
hostname = "bench.example"
data_dir = "$work/data"
[listen]
smtp = "127.0.0.1:$smtp_port"
web = "127.0.0.1:$web_port"
[web]
admin_token = "bench"
[delivery]
starttls = false
concurrency = 32
[[domains]]
name = "example.net"
destination = "127.0.0.1:$sink_port"
# The 2002 corpus would fail the 7-day Date check; measure the delivery path.
max_date_skew = "0s"
# Every message comes from one client to one recipient: no flood limit.
inbound_messages_per_hour = 0
CONF
SLUICE_LOG=warn "${CARGO_TARGET_DIR:-target}"/release/sluice serve --config "$work/sluice.toml" & pids+=($!)
for _ in $(seq 100); do curl -sf "127.0.0.1:$web_port/healthz" >/dev/null && break; sleep 0.1; done

mapfile -t files < <(find "$corpus" -name '*.eml' | sort | head -n "$count")
echo "corpus: ${#files[@]} files from $corpus, $count messages, 10 connections"
printf 'peer  (smtp-sink directly): '
python3 bench/smtp_load.py 127.0.0.1 $peer_port 10 "$count" bob@example.net "${files[@]}"
printf 'sluice (filter + fsync + relay): '
python3 bench/smtp_load.py 127.0.0.1 $smtp_port 10 "$count" bob@example.net "${files[@]}"
for _ in $(seq 300); do
    left=$(curl -sf "127.0.0.1:$web_port/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_length"])')
    [ "$left" = 0 ] && break; sleep 0.2
done
echo "queue drained: ${left:-?} left"
