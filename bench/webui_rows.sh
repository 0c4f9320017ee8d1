#!/usr/bin/env bash
# The web interface on a large log: fills a SQLite store with ROWS incoming log
# rows (default 1,000,000) spread over the last 30 days (recipients among 1,000
# mailboxes of two domains, one in 1,000 rows quarantined, one row with a rare
# subject), then times pages over HTTP with curl (server time plus loopback):
# each URL RUNS times (default 5), the median and the slowest. Uses the debug
# build unless PROFILE=release. Note the build you measure: debug figures are
# an upper bound. Last, the time of one log retention batch (the statements of
# `Store::purge_log`, `LOG_PURGE_BATCH`, 1,000 rows) on that store.
#
# With STORE_URL=postgres://USER@HOST:PORT/DATABASE (an empty database the
# user owns, e.g. one made by `createdb`) the same rows go to PostgreSQL
# (filled with psql) instead of SQLite; a database that already holds log rows
# (from an earlier run) is measured as it is, without filling it again.
#
# usage: [STORE_URL=postgres://...] [SLUICE_BIN=path] bench/webui_rows.sh [ROWS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=${2:-5}
profile=${PROFILE:-debug}
# SLUICE_BIN: a binary already built (say, by `cargo test --workspace`).
if [ -z "${SLUICE_BIN:-}" ]; then
    if [ "$profile" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
fi
sluice="${SLUICE_BIN:-${CARGO_TARGET_DIR:-target}/$profile/sluice}"
work=$(mktemp -d /tmp/sluice-webrows.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
web_port=${WEB_PORT:-29680}
store_url=${STORE_URL:-}
storage=
[ -n "$store_url" ] && storage="[storage]
url = \"$store_url\""
cat > "$work/sluice.toml" <<CONF
hostname = "bench.example"
data_dir = "$work/data"
$storage
[listen]
web = "127.0.0.1:$web_port"
[web]
admin_token = "bench"
[[domains]]
name = "example.net"
destination = "127.0.0.1:29681"
[[domains]]
name = "example.com"
destination = "127.0.0.1:29681"
CONF
"$sluice" check-config --connect --config "$work/sluice.toml" >/dev/null
now_ms=$(($(date +%s) * 1000))
start=$(date +%s)
# The INSERT ... SELECT of the rows over a series `i`, in either dialect; $1 is
# the dialect's expression for a random 8-character word. Classes as the spec
# spells them; the rows carry an empty explanation.
log_rows() {
    cat <<SQL
INSERT INTO log (message_id, received_at, direction, client_ip, helo, sender, recipients, subject,
                 main_class, sub_class, error_class, extra_class, score, reply, action, quarantine_id, delivery)
SELECT NULL,
       $now_ms - (($rows - i) * 2592000000 / $rows),
       'incoming',
       '203.0.113.' || (i % 250),
       'client' || (i % 500) || '.example.org',
       'sender' || (i % 5000) || '@example.org',
       '["user' || (i % 1000) || '@' || CASE WHEN i % 2 = 0 THEN 'example.net' ELSE 'example.com' END || '"]',
       CASE WHEN i = $rows / 2 THEN 'Quarterly zebracorn report' ELSE 'Message ' || (i % 9973) || ' about ' || $1 END,
       CASE i % 10 WHEN 0 THEN 'spam' WHEN 1 THEN 'spam' WHEN 2 THEN 'unknown' ELSE 'not-spam' END,
       CASE i % 10 WHEN 0 THEN 'gtube' WHEN 1 THEN 'combined-statistical' WHEN 2 THEN 'invalid-recipient' ELSE 'combined' END,
       NULL, '', NULL, '250 2.0.0 Ok', CASE i % 10 WHEN 0 THEN 'quarantine' WHEN 1 THEN 'reject' WHEN 2 THEN 'reject' ELSE 'deliver' END,
       NULL, NULL
SQL
}
if [ -n "$store_url" ] && [ "$(psql -Atc 'SELECT COUNT(*) FROM log' "$store_url")" != 0 ]; then
    echo "measuring the $(psql -Atc 'SELECT COUNT(*) FROM log' "$store_url") rows already in the database"
elif [ -n "$store_url" ]; then
psql -q -v ON_ERROR_STOP=1 "$store_url" <<SQL
$(log_rows "upper(substr(md5(random()::text), 1, 8))")
FROM generate_series(1::bigint, $rows::bigint) AS i;
VACUUM ANALYZE;
SQL
echo "filled $rows rows in $(( $(date +%s) - start )) s ($(psql -Atc 'SELECT pg_size_pretty(pg_database_size(current_database()))' "$store_url"))"
else
sqlite3 "$work/data/sluice.db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
$(log_rows "hex(randomblob(4))")
FROM n;
COMMIT;
ANALYZE;
SQL
echo "filled $rows rows in $(( $(date +%s) - start )) s ($(du -h "$work/data/sluice.db" | cut -f1))"
fi
# (Already there when a PostgreSQL database is measured again.)
printf 'admin\n' | "$sluice" user add --config "$work/sluice.toml" --role admin admin >/dev/null 2>&1 || true
printf 'com\n' | "$sluice" user add --config "$work/sluice.toml" --role domain-admin --domain example.com comadmin >/dev/null 2>&1 || true
printf 'user\n' | "$sluice" user add --config "$work/sluice.toml" --role user user7@example.com >/dev/null 2>&1 || true
SLUICE_LOG=warn "$sluice" serve --config "$work/sluice.toml" & pid=$!
for _ in $(seq 200); do curl -sf "127.0.0.1:$web_port/healthz" >/dev/null && break; sleep 0.1; done
login() {
    curl -s -c "$work/$1.cookies" -o /dev/null -d "username=$1&password=$2" "127.0.0.1:$web_port/login"
}
login admin admin; login comadmin com; login user7@example.com user
deep=$(( rows / 2 ))
time_url() {
    local who=$1 url=$2 times
    times=$(for _ in $(seq "$runs"); do
        curl -s -b "$work/$who.cookies" -o /dev/null -w '%{http_code} %{time_total}\n' "127.0.0.1:$web_port$url"
    done)
    local sorted median max code
    sorted=$(echo "$times" | awk '{ printf "%.1f\n", $2 * 1000 }' | sort -n)
    median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
    max=$(echo "$sorted" | tail -n 1)
    code=$(echo "$times" | awk '$1 != 200 { print " (HTTP " $1 ")"; exit }')
    printf '%-18s %-40s median %7s ms  max %7s ms%s\n' "$who" "$url" "$median" "$max" "$code"
}
time_url admin "/logs"
time_url admin "/logs?before=$deep"
time_url admin "/logs?main=spam"
time_url admin "/logs?subject=zebracorn"
time_url admin "/logs?subject=zz"
time_url admin "/logs?subject=a1"
time_url admin "/logs?recipient=user7%40example.com"
time_url user7@example.com "/logs?subject=zz"
time_url admin "/logs?sender=sender42%40"
time_url comadmin "/logs"
time_url user7@example.com "/logs"
time_url admin "/dashboard"
time_url admin "/dashboard?range=7d"
time_url admin "/dashboard?range=30d"
time_url comadmin "/dashboard?range=30d"
time_url user7@example.com "/dashboard?range=30d"
time_url admin "/quarantine"
time_url admin "/logs/$deep"

# One retention batch: the statements of `Store::purge_log` for the 1,000
# oldest rows, as `LOG_PURGE_BATCH` (everything here is younger than the default 90 days, so the cut
# is 29 days back), in one transaction, with the server stopped.
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
cut_ms=$(( (now_ms - 29 * 86400000) / 3600000 * 3600000 ))
batch_sql="BEGIN;
CREATE TEMP TABLE batch AS SELECT id FROM log WHERE received_at < $cut_ms ORDER BY received_at LIMIT 1000;
DELETE FROM delivery_attempts WHERE log_id IN (SELECT id FROM batch);
DELETE FROM log WHERE id IN (SELECT id FROM batch);
DELETE FROM log_counts WHERE hour < (SELECT MIN(received_at) FROM log) / 3600000;
DELETE FROM log_domain_counts WHERE hour < (SELECT MIN(received_at) FROM log) / 3600000;
DROP TABLE batch;
COMMIT;"
for round in 1 2 3; do
    begin=$(date +%s%N)
    if [ -n "$store_url" ]; then psql -q -v ON_ERROR_STOP=1 "$store_url" -c "$batch_sql" >/dev/null
    else sqlite3 "$work/data/sluice.db" "$batch_sql"; fi
    echo "retention batch $round (1,000 rows): $(( ($(date +%s%N) - begin) / 1000000 )) ms"
done
