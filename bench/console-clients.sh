#!/usr/bin/env bash
# How fast the console's OAuth Clients page answers with 10,000 clients in the realm: the first
# page, a page deep in the list, a search that matches one client, a search that matches none.
# Each is the whole server-rendered page (sign-in session, permission check, count, page, HTML),
# timed by curl over 30 requests after 5 warm-up ones; prints the median and p95 in ms. Then the
# same questions to the admin REST API, as a script asks them (bearer token from admin-cli).
# Usage: BENCH_BIN=target/release/portcullis bench/console-clients.sh   (SQLite, a fresh database)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BENCH_BIN:-target/release/portcullis}"
N="${CLIENTS:-10000}"
tmp="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export DATABASE_URL="sqlite:$tmp/db.sqlite" PORTCULLIS_MASTER_KEY_FILE="$tmp/master.key" PORTCULLIS_LOG=warn
"$BIN" client create --realm default --template service --client-id seed-client >/dev/null
echo 'a long admin password' | "$BIN" admin create --username root --password-stdin >/dev/null
# N copies of the seed client's row (creating them one by one would spend N argon2 hashes).
python3 - "$tmp/db.sqlite" "$N" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in db.execute("PRAGMA table_info(clients)")]
seed = dict(zip(cols, db.execute("SELECT * FROM clients WHERE client_id = 'seed-client'").fetchone()))
rows = []
for i in range(int(sys.argv[2])):
    r = dict(seed, id=f"bench-{i}", client_id=f"app-{i:05d}", name=f"App {i}")
    rows.append([r[c] for c in cols])
db.executemany(f"INSERT INTO clients ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})", rows)
db.commit()
PY
LEPTOS_SITE_ROOT=target/site PORTCULLIS_MANAGEMENT_ADDR=off "$BIN" --addr 127.0.0.1:0 >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/out" && break; sleep 0.1; done
base="$(sed -n 's/^listening on //p' "$tmp/out")"
jar="$tmp/jar"
csrf="$(curl -s -c "$jar" -b "$jar" "$base/admin/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')"
curl -s -o /dev/null -c "$jar" -b "$jar" -d "username=root&password=a+long+admin+password&csrf=$csrf" "$base/admin/login"
auth=(-b "$jar")
measure() {
  local label="$1" path="$2" expect="$3" times=()
  curl -s "${auth[@]}" "$base$path" | grep -q -- "$expect" || { echo "$label: unexpected answer" >&2; exit 1; }
  for _ in $(seq 5); do curl -s -o /dev/null "${auth[@]}" "$base$path"; done
  for _ in $(seq 30); do times+=("$(curl -s -o /dev/null -w '%{time_total}' "${auth[@]}" "$base$path")"); done
  printf '%s\n' "${times[@]}" | sort -n | awk -v l="$label" '{ t[NR] = $1 * 1000 } END {
    printf "%-34s median %6.1f ms   p95 %6.1f ms\n", l, t[int(NR / 2) + 1], t[int(NR * 0.95)] }'
}
echo "OAuth Clients page, $N clients (SQLite, $(basename "$BIN"))"
measure "first page" "/admin/default/console/clients" "1–20 of $((N + 2))"
measure "page at 9,980" "/admin/default/console/clients?first=9980" "9981–10000"
measure "search, one match (app-04242)" "/admin/default/console/clients?q=app-04242" "1–1 of 1"
measure "search, no match" "/admin/default/console/clients?q=nothing-like-it" "No results"
token="$(curl -s -d grant_type=password -d client_id=admin-cli -d username=root -d 'password=a long admin password' \
  "$base/realms/master/protocol/openid-connect/token" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')"
auth=(-H "Authorization: Bearer $token")
echo "Admin REST API, $N clients"
measure "clients, first 100" "/admin/realms/default/clients?first=0&max=100" '"clientId":"app-00042"'
measure "clients, 100 from 9,900" "/admin/realms/default/clients?first=9900&max=100" '"clientId":"app-099'
measure "find by clientId (app-04242)" "/admin/realms/default/clients?clientId=app-04242" '"clientId":"app-04242"'
measure "search clientId, no match" "/admin/realms/default/clients?clientId=nothing&search=true" '^\[\]$'
