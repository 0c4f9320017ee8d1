#!/usr/bin/env bash
# Relay throughput against Postfix, measured in one run: the same corpus mail over
# the same 10 concurrent SMTP sessions (bench/smtp_load.py), once through Postfix
# as a plain pass-through relay and once through `sluice serve` with every check
# on (release build, SQLite with fsync), both relaying into Postfix's smtp-sink.
# Prints messages/second, p50/p99 from the end of DATA to the reply, the time
# until everything reached the sink, and each server's peak RSS.
#
# Postfix runs from a private directory (nothing in /etc/postfix is touched);
# it must be installed (`apt-get install postfix`, preseeded "No configuration").
# Run as root (Postfix's master needs it) or as a user Postfix accepts.
#
# usage: bench/relay.sh CORPUS_DIR [COUNT]
#   CORPUS_DIR: any folder of .eml files (e.g. a ham folder of a public corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:?usage: bench/relay.sh CORPUS_DIR [COUNT]}
count=${2:-2000}
command -v smtp-sink >/dev/null && command -v postfix >/dev/null \
    || { echo "needs postfix (postfix, smtp-sink): apt-get install postfix" >&2; exit 1; }

cargo build --release --quiet
cargo build --release --quiet -p sluice-testdns --example serve
work=$(mktemp -d /tmp/sluice-relay.XXXXXX)
chmod 755 "$work"
pids=()
P="$work/postfix"
cleanup() {
    exec 3>&- 2>/dev/null || true
    postfix -c "$P/etc" stop >/dev/null 2>&1 || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# A local DNS server (the project's test server, empty zone: every name is
# NXDOMAIN at once), so Sluice's lookups (SPF, DMARC, DNS lists) cost a local
# round trip each rather than an unreachable resolver's timeout.
: > "$work/zone"
mkfifo "$work/dns.in"
"${CARGO_TARGET_DIR:-target}/release/examples/serve" "$work/zone" < "$work/dns.in" > "$work/dns.out" & pids+=($!)
exec 3> "$work/dns.in"
for _ in $(seq 100); do [ -s "$work/dns.out" ] && break; sleep 0.05; done
resolver=$(head -n 1 "$work/dns.out")

sink_port=28526; postfix_port=28525; smtp_port=28535; web_port=28580
sink_user=$( [ "$(id -u)" = 0 ] && echo postfix || id -un )
smtp-sink -u "$sink_user" 127.0.0.1:$sink_port 256 & pids+=($!)

# Postfix as a relay to the sink: no local delivery, no DNS, no TLS, no delays.
mkdir -p "$P/etc" "$P/queue" "$P/data"
cat > "$P/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $P/queue
data_directory = $P/data
maillog_file = $P/maillog
maillog_file_prefixes = /tmp, /var
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
mydestination =
local_recipient_maps =
relayhost = [127.0.0.1]:$sink_port
smtp_dns_support_level = disabled
in_flow_delay = 0
smtpd_tls_security_level = none
smtp_tls_security_level = none
default_process_limit = 100
CONF
cat > "$P/etc/master.cf" <<CONF
127.0.0.1:$postfix_port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CONF
[ "$(id -u)" = 0 ] && chown postfix "$P/data"
postfix -c "$P/etc" start >/dev/null 2>&1 || { echo "postfix did not start:"; cat "$P/maillog" 2>/dev/null; exit 1; }

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
[dns]
resolver = "$resolver"
[limits]
connections_per_minute = 0
connections_per_hour = 0
[defaults]
# The corpus's sender domains do not resolve here (empty zone): sender
# verification would refuse them all. SPF, DKIM, DMARC still run.
verify_senders = false
[[domains]]
name = "example.net"
destination = "127.0.0.1:$sink_port"
# Corpus mail is years old and would fail the Date check: measure the rest.
max_date_skew = "0s"
# Every message comes from one client to one recipient: no flood limit.
inbound_messages_per_hour = 0
CONF
SLUICE_LOG=warn "${CARGO_TARGET_DIR:-target}"/release/sluice serve --config "$work/sluice.toml" & sluice_pid=$!; pids+=($sluice_pid)
for _ in $(seq 100); do curl -sf "127.0.0.1:$web_port/healthz" >/dev/null && break; sleep 0.1; done

mapfile -t files < <(find "$corpus" -type f | sort | head -n "$count")
echo "corpus: ${#files[@]} files from $corpus, $count messages, 10 connections, relayed into smtp-sink"

postfix_queue_empty() { [ -z "$(find "$P/queue/incoming" "$P/queue/active" "$P/queue/deferred" -type f 2>/dev/null | head -1)" ]; }
sluice_queue_empty() {
    [ "$(curl -sf "127.0.0.1:$web_port/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_length"])')" = 0 ]
}
# Peak resident memory (VmHWM, kB) of a comma-separated list of processes, summed.
rss_kb() {
    local total=0 pid peak
    for pid in ${1//,/ }; do
        peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        total=$((total + ${peak:-0}))
    done
    echo "$total"
}

measure() {
    local name=$1 port=$2 empty=$3 pidlist=$4
    local start end result rss
    start=$(date +%s.%N)
    result=$(python3 bench/smtp_load.py 127.0.0.1 "$port" 10 "$count" bob@example.net "${files[@]}")
    for _ in $(seq 600); do $empty && break; sleep 0.1; done
    end=$(date +%s.%N)
    rss=$(rss_kb "$($pidlist)")
    printf '%-8s %s drained_in_s=%.2f rss_kb=%s\n' "$name" "$result" "$(echo "$end - $start" | bc)" "$rss"
}
# The whole Postfix instance: master and the daemons it spawned (still running).
postfix_pids() { pgrep -d, -f '^/usr/lib/postfix/sbin/' || true; }
measure postfix $postfix_port postfix_queue_empty postfix_pids
measure sluice $smtp_port sluice_queue_empty "echo $sluice_pid"
