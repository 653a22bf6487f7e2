# Sourced by bench/run.sh for `bench/run.sh scale`: client_credentials (wrk, as in run.sh) and
# refresh-token rotation (bench/node/flows.mjs, as in flows.sh) against one `portcullis serve` on
# PostgreSQL, then against two instances over the same database with the load split evenly over
# both; node-oidc-provider (jwt, one process) for reference. Uses run.sh's helpers (start_server,
# stop_server, log, die, median, cpu_ticks, children_cpu, sys_busy_ticks, check_target, $WORK,
# $BIN, $HOST, $PY, $BENCH_DIR, $ROOT). See bench/README.md.
#
# Env: DURATION (15s) CONNECTIONS (32) THREADS (2) WARMUP (3s) ROUNDS (1) SETTLE (1)
#      SCALE_SPREAD (request: each refresh chain alternates instances, so every rotation crosses
#      instances; chain: chain i stays on instance i mod 2)
#      SCALE_NODE (1: also measure node-oidc-provider (jwt) for reference; 0: leave it out)
#      BENCH_PG_URL (postgres://portcullis:portcullis@127.0.0.1:5432/postgres: a role that may
#      create databases; a fresh database is created for the run and dropped afterwards)

secs() { local v=${1%s}; [[ $v =~ ^[0-9]+([.][0-9]+)?$ ]] || die "expected seconds, got '$1'"; echo "$v"; }
S_DURATION=$(secs "$DURATION")
S_WARMUP=$(secs "$WARMUP")
SCALE_SPREAD=${SCALE_SPREAD:-request}
SCALE_NODE=${SCALE_NODE:-1}
case $SCALE_SPREAD in request | chain) ;; *) die "SCALE_SPREAD must be request or chain" ;; esac
((CONNECTIONS % 2 == 0)) || die "CONNECTIONS must be even (the load is split over two instances)"
PG_ADMIN_URL=${BENCH_PG_URL:-postgres://portcullis:portcullis@127.0.0.1:5432/postgres}
REDIRECT_URI=http://127.0.0.1:9/cb
# provider.mjs reads these (the same values are its defaults).
export BENCH_SPA_CLIENT_ID=spa BENCH_SPA_REDIRECT_URI=$REDIRECT_URI BENCH_ACCOUNT=alice
export BENCH_PASSWORD
BENCH_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')
# Every instance and every CLI call reads the one master key file (the first start creates it):
# the signing keys in the shared database are sealed with it.
export PORTCULLIS_MASTER_KEY_FILE=$WORK/master.key

command -v psql >/dev/null || die "psql is required (apt-get install postgresql-client)"
psql -q "$PG_ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1 \
  || die "PostgreSQL not reachable at $PG_ADMIN_URL (start it, e.g. pg_ctlcluster --skip-systemctl-redirect 15 main start, or set BENCH_PG_URL)"

# The fresh database is dropped on every exit, after the servers are stopped.
PG_DB=""
S_PIDS=()   # wrk or flows.mjs processes running now
scale_cleanup() {
  local rc=$? p
  for p in "${S_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${S_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n $PG_DB ]]; then
    for p in "${PROBES[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PROBES[@]}"; do wait "$p" 2>/dev/null || true; done
    PROBES=()
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 \
      || log "WARNING: could not drop database $PG_DB"
    PG_DB=""
  fi
  set +e            # so that the next line only sets $? for cleanup (run.sh), which reads it
  (exit "$rc")
  cleanup
}
trap scale_cleanup EXIT

PG_DB=portcullis_scale_$$_$RANDOM
psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null || die "could not create database $PG_DB"
PG_URL=${PG_ADMIN_URL%/*}/$PG_DB
PG_VERSION=$(psql -Atq "$PG_ADMIN_URL" -c 'SHOW server_version' 2>/dev/null || echo unknown)
# PID:TICKS of PostgreSQL's background processes and of this database's backends.
pg_ticks() { "$PY" "$BENCH_DIR/report.py" pg-ticks "$PG_DB"; }

# --- set-up: schema, realm, keys, master key (first start); user, clients ---------------------
PC=("$BIN" serve --addr "$HOST:0" --management-addr "$HOST:0" --database-url "$PG_URL")
log "portcullis: first start on PostgreSQL database $PG_DB"
start_server scale-first 0 "$DISCOVERY" "${PC[@]}"
[[ -s $PORTCULLIS_MASTER_KEY_FILE ]] || die "the first start wrote no master key to $PORTCULLIS_MASTER_KEY_FILE"
printf '%s\n' "$BENCH_PASSWORD" | "$BIN" user create --realm default --username alice \
  --password-stdin --database-url "$PG_URL" >/dev/null || die "user create failed"
"$BIN" client create --realm default --template spa --client-id spa --redirect-uri "$REDIRECT_URI" \
  --no-consent --json --database-url "$PG_URL" >/dev/null || die "client create (spa) failed"
# Only for the rotation check: without the 5 s reuse window a spent token is refused at once.
"$BIN" client create --realm default --template spa --client-id spa-strict \
  --redirect-uri "$REDIRECT_URI" --no-consent --refresh-reuse-window 0 --json \
  --database-url "$PG_URL" >/dev/null || die "client create (spa-strict) failed"
CREATED=$("$BIN" client create --realm default --template service --client-id "$CLIENT_ID" \
  --scope read:dataset --json --database-url "$PG_URL")
SECRET=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["client_id"]==sys.argv[2]; print(d["client_secret"])' "$CREATED" "$CLIENT_ID") \
  || die "client create printed no usable JSON: $CREATED"

# Per instance (a, b) and for node: token URL, discovery URL, server pid, probe pid, secret.
declare -A S_TOKEN S_DISC S_SPID S_PROBE S_SECRET S_KIND S_NAME
start_instance() {
  local k=$1
  start_server "scale-$k" 1 "$DISCOVERY" "${PC[@]}"
  S_NAME[$k]="Portcullis instance ${k^^}"; S_KIND[$k]=jwt; S_SECRET[$k]=$SECRET
  S_TOKEN[$k]=http://$ADDR$TOKEN_PATH; S_DISC[$k]=http://$ADDR$DISCOVERY; S_SPID[$k]=$SPID; S_PROBE[$k]=$PROBE
}
check_instance() {
  local k=$1 out
  T_KIND[$k]=${S_KIND[$k]}; T_URL[$k]=${S_TOKEN[$k]}; T_SECRET[$k]=${S_SECRET[$k]}
  out=$(check_target "$k") || die "${S_NAME[$k]}: token request failed"
  log "${S_NAME[$k]}: $out"
}
start_instance a
check_instance a
if [[ $SCALE_NODE == 1 ]]; then
  NODE_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
  export BENCH_CLIENT_ID=$CLIENT_ID BENCH_CLIENT_SECRET=$NODE_SECRET   # provider.mjs reads them
  start_server scale-node-jwt 1 /.well-known/openid-configuration node "$BENCH_DIR/node/provider.mjs" jwt 0 "$HOST"
  S_NAME[node]="node-oidc-provider (jwt)"; S_KIND[node]=jwt; S_SECRET[node]=$NODE_SECRET
  S_TOKEN[node]=http://$ADDR/token; S_DISC[node]=http://$ADDR/.well-known/openid-configuration
  S_SPID[node]=$SPID; S_PROBE[node]=$PROBE
  check_instance node
fi

# --- the runs -----------------------------------------------------------------------------------
# Setups: one = instance A alone (B, once started, idles); two = A and B, load split evenly;
# node = node-oidc-provider, one process (it has no shared store to scale out over).
setup_instances() { case $1 in one) echo a ;; two) echo a b ;; node) echo node ;; esac; }
setup_name() {
  case $1 in
    one) echo "Portcullis, one instance" ;;
    two) echo "Portcullis, two instances" ;;
    node) echo "node-oidc-provider (jwt), one process" ;;
  esac
}

# cc_run SETUP ROUND: one wrk per instance, all at once, CONNECTIONS and THREADS split evenly;
# writes $WORK/scale.cc.SETUP.rROUND.json.
cc_run() {
  local setup=$1 round=$2 k n t c i=0 p
  local ks; read -r -a ks <<<"$(setup_instances "$setup")"
  n=${#ks[@]}; c=$((CONNECTIONS / n)); t=$((THREADS / n)); ((t >= 1)) || t=1
  local name; name=$(setup_name "$setup")
  if [[ $round == 1 && $S_WARMUP != 0 ]]; then
    log "$name: client_credentials warm-up ${S_WARMUP}s"
    S_PIDS=()
    for k in "${ks[@]}"; do
      BENCH_CLIENT_ID=$CLIENT_ID BENCH_CLIENT_SECRET=${S_SECRET[$k]} BENCH_TARGET=$k \
        wrk -t"$t" -c"$c" -d"$WARMUP" -s "$BENCH_DIR/token.lua" "${S_TOKEN[$k]}" > "$WORK/scale.cc.$setup.$k.warmup.txt" &
      S_PIDS+=($!)
    done
    for p in "${S_PIDS[@]}"; do wait "$p" || die "wrk failed (warm-up, $name)"; done
    S_PIDS=()
  fi
  log "$name: client_credentials, $n × wrk -t$t -c$c -d$DURATION (round $round/$ROUNDS)"
  local t0 t1 b0 b1 g0 g1 d0 d1 s0=() s1=()
  for k in a b; do s0+=("$( [[ -n ${S_SPID[$k]:-} ]] && cpu_ticks "${S_SPID[$k]}" || echo 0)"); done
  [[ -n ${S_SPID[node]:-} ]] && s0+=("$(cpu_ticks "${S_SPID[node]}")")
  d0=$(pg_ticks); b0=$(sys_busy_ticks); children_cpu; g0=$CHILD_CPU; t0=$EPOCHREALTIME
  S_PIDS=()
  for k in "${ks[@]}"; do
    BENCH_CLIENT_ID=$CLIENT_ID BENCH_CLIENT_SECRET=${S_SECRET[$k]} BENCH_TARGET=$k \
      wrk -t"$t" -c"$c" -d"$DURATION" --latency -s "$BENCH_DIR/token.lua" "${S_TOKEN[$k]}" > "$WORK/scale.cc.$setup.$k.r$round.txt" &
    S_PIDS+=($!)
  done
  for p in "${S_PIDS[@]}"; do wait "$p" || die "wrk failed ($name): $(cat "$WORK/scale.cc.$setup".*.r"$round".txt)"; done
  S_PIDS=()
  t1=$EPOCHREALTIME; children_cpu; g1=$CHILD_CPU; b1=$(sys_busy_ticks); d1=$(pg_ticks)
  for k in a b; do s1+=("$( [[ -n ${S_SPID[$k]:-} ]] && cpu_ticks "${S_SPID[$k]}" || echo 0)"); done
  [[ -n ${S_SPID[node]:-} ]] && s1+=("$(cpu_ticks "${S_SPID[node]}")")
  local lines=() line
  for k in "${ks[@]}"; do
    line=$(grep '^{"bench"' "$WORK/scale.cc.$setup.$k.r$round.txt") || die "$name: wrk printed no result"
    lines+=("$line")
  done
  local summary
  summary=$("$PY" - "$WORK/scale.cc.$setup.r$round.json" "$t0" "$t1" "$CLK_TCK" "$g0" "$g1" "$b0" "$b1" \
    "${s0[*]}" "${s1[*]}" "$setup" "$round" "$d0" "$d1" "${lines[@]}" <<'EOF'
import json, sys
out, t0, t1, hz, g0, g1, b0, b1 = sys.argv[1], *map(float, sys.argv[2:9])
s0, s1 = [float(x) for x in sys.argv[9].split()], [float(x) for x in sys.argv[10].split()]
setup, rnd, lines = sys.argv[11], int(sys.argv[12]), [json.loads(x) for x in sys.argv[15:]]
# Per PostgreSQL process: ticks at the end minus at the start (0 for one started meanwhile); a
# process gone by the end is not counted, as in flows.mjs.
pg0 = dict(x.split(":") for x in sys.argv[13].split())
pg1 = dict(x.split(":") for x in sys.argv[14].split())
d = sum(max(0, int(v) - int(pg0.get(pid, 0))) for pid, v in pg1.items())
wall = t1 - t0
servers = [(b - a) / hz / wall for a, b in zip(s0, s1)]   # a, b[, node]
gen = (g1 - g0) / wall
db = d / hz / wall
busy = (b1 - b0) / hz / wall
cpu = {"a": servers[0], "b": servers[1], "node": servers[2] if len(servers) > 2 else None,
       "db": db, "generator": gen, "other": max(0.0, busy - sum(servers) - gen - db)}
json.dump({"op": "cc", "setup": setup, "round": rnd, "wall_s": wall, "cpu_cores": cpu, "wrk": lines},
          open(out, "w"), indent=1)
rps = sum(x["requests_per_sec"] for x in lines)
bad = sum(x["non_200"] for x in lines)
servers = f"node {cpu['node']:.2f}" if setup == "node" else f"A {cpu['a']:.2f} B {cpu['b']:.2f}"
print(f"{rps:.0f} req/s, non-200 {bad}, CPU {servers} PostgreSQL {db:.2f} wrk {gen:.2f} other {cpu['other']:.2f}")
EOF
  ) || die "$name: could not read the wrk results"
  log "$name: $summary"
}

# refresh_run SETUP ROUND: flows.mjs refresh with CONNECTIONS chains over the setup's instances;
# writes $WORK/scale.refresh.SETUP.rROUND.json.
FAILED=()
refresh_run() {
  local setup=$1 round=$2 k warm=$S_WARMUP rc=0
  [[ $round == 1 ]] || warm=0
  local ks; read -r -a ks <<<"$(setup_instances "$setup")"
  local disc=() pids=()
  for k in "${ks[@]}"; do disc+=("${S_DISC[$k]}"); pids+=("${S_SPID[$k]}"); done
  # Both Portcullis instances' CPU in every Portcullis run (B idles in `one`).
  [[ $setup == one && -n ${S_SPID[b]:-} ]] && pids+=("${S_SPID[b]}")
  local strict=spa-strict db=postgres:$PG_DB
  [[ $setup == node ]] && strict=spa
  local name; name=$(setup_name "$setup")
  log "$name: refresh, $CONNECTIONS chains (spread $SCALE_SPREAD), ${S_DURATION}s (warm-up ${warm}s, round $round/$ROUNDS)"
  node "$BENCH_DIR/node/flows.mjs" --name "$name" --discovery "$(IFS=,; echo "${disc[*]}")" --op refresh \
    --spread "$SCALE_SPREAD" --client-id spa --strict-client-id "$strict" --redirect-uri "$REDIRECT_URI" \
    --username alice --connections "$CONNECTIONS" --duration "$S_DURATION" --warmup "$warm" \
    --server-pid "$(IFS=,; echo "${pids[*]}")" --db-cpu "$db" --clk-tck "$CLK_TCK" \
    --out "$WORK/scale.refresh.$setup.r$round.json" > "$WORK/scale.refresh.$setup.r$round.stdout" \
    2> >(tee -a "$WORK/scale.log" >&2) &
  S_PIDS=($!)
  wait "${S_PIDS[0]}" || rc=$?
  S_PIDS=()
  if [[ $rc == 4 ]]; then
    FAILED+=("$name refresh")
    log "ERROR: $name: refresh had failed requests (see the report)"
  elif [[ $rc != 0 ]]; then
    die "$name: refresh: flows.mjs failed (status $rc; server logs in $WORK)"
  fi
}

SETUPS=(one two)
[[ $SCALE_NODE == 1 ]] && SETUPS+=(node)
# The database grows during the run (every refresh stores a token; the janitor purges in
# passes), so the order of one and two alternates by round (one first in odd rounds, two first
# in even ones): an even ROUNDS gives neither the later place more often.
for ((round = 1; round <= ROUNDS; round++)); do
  order=("${SETUPS[@]}")
  ((round % 2 == 0)) && order=(two one "${SETUPS[@]:2}")
  for setup in "${order[@]}"; do
    if [[ $setup == two && -z ${S_SPID[b]:-} ]]; then
      log "portcullis: second instance on the same database and master key"
      start_instance b
      check_instance b
    fi
    cc_run "$setup" "$round"
    refresh_run "$setup" "$round"
  done
done
for k in a b node; do
  [[ -n ${S_SPID[$k]:-} ]] || continue
  kill -0 "${S_SPID[$k]}" 2>/dev/null || die "${S_NAME[$k]} is no longer running (see $WORK)"
  check_instance "$k"
  PROBE=${S_PROBE[$k]}
  stop_server
done

# --- report ------------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(cd "$ROOT" && git status --porcelain -- server app Cargo.toml Cargo.lock migrations 2>/dev/null) ]]; then REV="$REV+dirty"; fi
# With BENCH_BIN the binary may come from another revision than the tree.
[[ -n ${BIN_OVERRIDE:-} ]] && REV="binary $BIN_OVERRIDE (tree at $REV)"
"$PY" - "$WORK/scale.json" <<EOF
import json, sys
setups = "${SETUPS[*]}".split()
def load(op, s): return [json.load(open(f"$WORK/scale.{op}.{s}.r{i}.json")) for i in range(1, $ROUNDS + 1)]
r = {
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "portcullis_rev": "$REV",
    "oidc_provider_version": json.load(open("$BENCH_DIR/node/node_modules/oidc-provider/package.json"))["version"],
    "node_version": "$(node --version)",
    "wrk_version": "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)",
    "postgres_version": "$PG_VERSION",
    "settings": {"duration_s": $S_DURATION, "connections": $CONNECTIONS, "threads": $THREADS,
                 "warmup_s": $S_WARMUP, "rounds": $ROUNDS, "spread": "$SCALE_SPREAD", "setups": setups},
    "machine": {"nproc": "$(nproc)",
                "cpu_model": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
                "mem_total": "$(free -h | awk '/^Mem:/ { print $2 }')",
                "kernel": "$(uname -sr)",
                "load_before": "$LOAD_BEFORE", "load_after": "$LOAD_AFTER"},
    "runs": {op: {s: load(op, s) for s in setups} for op in ("cc", "refresh")},
}
json.dump(r, open(sys.argv[1], "w"), indent=1)
EOF
cp "$WORK/scale.json" "$ROOT/bench/results/scale.json"
"$PY" "$BENCH_DIR/report.py" scale-table "$WORK/scale.json" "$ROOT/bench/results/scale.md"
log "written bench/results/scale.md and bench/results/scale.json"
if ((${#FAILED[@]})); then
  die "failed requests in: ${FAILED[*]}"
fi
