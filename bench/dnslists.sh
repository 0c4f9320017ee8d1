#!/usr/bin/env bash
# What the DNS lists add to the end-of-DATA reply: COUNT corpus messages through
# `sluice serve` (release build, SQLite with fsync, relay to Postfix's smtp-sink)
# over 10 concurrent SMTP sessions, twice in the same run: lookups off (no lists
# configured: the baseline) and lookups on (two weighted DNSBLs, a DNSWL and two
# URL block lists, asked of the test DNS server as a local resolver,
# `crates/testdns/examples/serve.rs`). Then the same load again on the warm
# gateway: its cache answers what it has seen, and the server's query counts show
# what a repeated client costs.
#
# The client (127.0.0.1) is listed on one list of weight 0.5 (not enough to be
# refused) and on nothing else; no URL is listed, so every URL domain of every
# message is asked of every URL list (the most lookups a message can cost).
#
# usage: bench/dnslists.sh [CORPUS_DIR] [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus/spamassassin/ham}
count=${2:-2000}
command -v smtp-sink >/dev/null || { echo "needs postfix's smtp-sink (apt-get install postfix)" >&2; exit 1; }

cargo build --release --quiet
cargo build --release --quiet -p sluice-testdns --example serve
target=${CARGO_TARGET_DIR:-target}/release
work=$(mktemp -d /tmp/sluice-dnsbench.XXXXXX)
pids=()
cleanup() { exec 3>&- 2>/dev/null || true; for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/zone" <<ZONE
1.0.0.127.half-a.bench A 127.0.0.2
ZONE
mkfifo "$work/dns.in"
"$target/examples/serve" "$work/zone" < "$work/dns.in" > "$work/dns.out" & pids+=($!)
exec 3> "$work/dns.in"
for _ in $(seq 100); do [ -s "$work/dns.out" ] && break; sleep 0.05; done
resolver=$(head -n 1 "$work/dns.out")
queries() { echo "1.0.0.127.half-a.bench 1.0.0.127.half-b.bench" >&3; sleep 0.2; tail -n 1 "$work/dns.out"; }

sink_port=27626
smtp-sink -u "$(id -un)" 127.0.0.1:$sink_port 256 & pids+=($!)
mapfile -t files < <(find "$corpus" -name '*.eml' | sort | head -n "$count")
echo "corpus: ${#files[@]} files from $corpus, $count messages, 10 connections; resolver $resolver"

run() { # name smtp_port web_port lists
    local name=$1 smtp_port=$2 web_port=$3 lists=$4
    mkdir -p "$work/$name"
    cat > "$work/$name/sluice.toml" <<CONF
hostname = "bench.example"
data_dir = "$work/$name/data"
[listen]
smtp = "127.0.0.1:$smtp_port"
web = "127.0.0.1:$web_port"
[web]
admin_token = "bench"
[delivery]
starttls = false
concurrency = 32
[dns]
resolver = "$resolver"
$lists
[[domains]]
name = "example.net"
destination = "127.0.0.1:$sink_port"
# The 2002 corpus would fail the 7-day Date check; measure the delivery path.
max_date_skew = "0s"
# Every message comes from one client to one recipient: no flood limit.
inbound_messages_per_hour = 0
CONF
    SLUICE_LOG=warn "$target/sluice" serve --config "$work/$name/sluice.toml" & pids+=($!)
    for _ in $(seq 100); do curl -sf "127.0.0.1:$web_port/healthz" >/dev/null && break; sleep 0.1; done
}

lists='[[dnsbl]]
zone = "half-a.bench"
weight = 0.5
[[dnsbl]]
zone = "half-b.bench"
weight = 0.5
[[dnswl]]
zone = "wl.bench"
[[urlbl]]
zone = "uri-a.bench"
[[urlbl]]
zone = "uri-b.bench"
mask = 12'

run off 27625 27680 ""
printf 'lookups off (baseline):  '
python3 bench/smtp_load.py 127.0.0.1 27625 10 "$count" bob@example.net "${files[@]}"
run on 27725 27780 "$lists"
printf 'lookups on (cold cache): '
python3 bench/smtp_load.py 127.0.0.1 27725 10 "$count" bob@example.net "${files[@]}"
echo "test DNS server after the cold run: $(queries)"
printf 'lookups on (warm cache): '
python3 bench/smtp_load.py 127.0.0.1 27725 10 "$count" bob@example.net "${files[@]}"
echo "test DNS server after the warm run: $(queries)"
lookups=$(curl -sf -H 'Authorization: Bearer bench' "127.0.0.1:27780/api/v1/logs?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
row=$(curl -sf -H 'Authorization: Bearer bench' "127.0.0.1:27780/api/v1/logs/$lookups" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["lookups"]), "lookups in the last row:", [l["what"] for l in r["lookups"]][:6])')
echo "last message: $row"
