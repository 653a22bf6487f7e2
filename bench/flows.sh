# Sourced by bench/run.sh for `bench/run.sh flows` (or FLOWS=1): refresh-token rotation, the
# browserless code flow, token introspection and userinfo, Portcullis on SQLite and on PostgreSQL
# vs node-oidc-provider (opaque and JWT access tokens). Uses run.sh's helpers (start_server, stop_server, log, die, median, $WORK,
# $BIN, $HOST, $PY, $BENCH_DIR, $ROOT). See bench/README.md.
#
# Env: DURATION (15s) CONNECTIONS (32) WARMUP (3s) ROUNDS (1) SETTLE (1)
#      SESSIONS (signed-in sessions the chains are spread over; default one per chain)
#      FLOW_TARGETS ("pc_sqlite pc_pg node_opaque node_jwt") FLOW_OPS ("refresh code-flow introspect userinfo")
#      BENCH_PG_URL (postgres://portcullis:portcullis@127.0.0.1:5432/postgres: a role that may
#      create databases; a fresh database is created for the run and dropped afterwards)
#      PERF (1: `perf record` the server during each measured run of round 1 and write its CPU
#      breakdown, crypto / SQL / HTTP / kernel / …, to bench/results/flows-profile.md)

secs() { local v=${1%s}; [[ $v =~ ^[0-9]+([.][0-9]+)?$ ]] || die "expected seconds, got '$1'"; echo "$v"; }
F_DURATION=$(secs "$DURATION")
F_WARMUP=$(secs "$WARMUP")
F_SESSIONS=${SESSIONS:-$CONNECTIONS}
[[ $F_SESSIONS =~ ^[1-9][0-9]*$ ]] || die "SESSIONS must be a positive number"
FLOW_TARGETS=${FLOW_TARGETS:-pc_sqlite pc_pg node_opaque node_jwt}
FLOW_OPS=${FLOW_OPS:-refresh code-flow introspect userinfo}
PG_ADMIN_URL=${BENCH_PG_URL:-postgres://portcullis:portcullis@127.0.0.1:5432/postgres}
REDIRECT_URI=http://127.0.0.1:9/cb
# provider.mjs reads these (the same values are its defaults).
export BENCH_SPA_CLIENT_ID=spa BENCH_SPA_REDIRECT_URI=$REDIRECT_URI BENCH_ACCOUNT=alice
export BENCH_PASSWORD
BENCH_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')
# The resource server's confidential client (introspect): Portcullis's secret comes from
# `client create`; node's is this one.
RS_CLIENT_ID=rs
export BENCH_RS_CLIENT_ID=$RS_CLIENT_ID BENCH_RS_CLIENT_SECRET
BENCH_RS_CLIENT_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
CLK_TCK=$(getconf CLK_TCK)

for t in $FLOW_TARGETS; do
  case $t in pc_sqlite | pc_pg | node_opaque | node_jwt) ;; *) die "unknown FLOW_TARGETS entry $t" ;; esac
done
for o in $FLOW_OPS; do
  case $o in refresh | code-flow | introspect | userinfo) ;; *) die "unknown FLOW_OPS entry $o" ;; esac
done

declare -A F_NAME F_DISC F_SPID F_PROBE F_STRICT F_DBCPU F_IDLE F_DB F_RS_SECRET
PG_DB=""
PG_URL=""

# The fresh PostgreSQL database is dropped on every exit, after the servers are stopped.
FLOW_PID=""
flows_cleanup() {
  local rc=$?
  if [[ -n $FLOW_PID ]]; then kill -TERM "$FLOW_PID" 2>/dev/null || true; wait "$FLOW_PID" 2>/dev/null || true; fi
  if [[ -n $PG_DB ]]; then
    local p
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
trap flows_cleanup EXIT

# setup_portcullis KEY NAME DATABASE_URL DB: first start (creates schema, realm, keys), a user,
# two spa clients and the resource server's confidential client through the CLI, then the server
# that is measured.
setup_portcullis() {
  local key=$1 name=$2 url=$3
  local pc=("$BIN" serve --addr "$HOST:0" --management-addr "$HOST:0" --database-url "$url")
  start_server "$key-first" 0 "$DISCOVERY" "${pc[@]}"
  # With an email, as the userinfo op's resource server expects (node's findAccount has the same).
  printf '%s\n' "$BENCH_PASSWORD" | "$BIN" user create --realm default --username alice \
    --email alice@example.com --password-stdin --database-url "$url" >/dev/null || die "$name: user create failed"
  "$BIN" client create --realm default --template spa --client-id spa --redirect-uri "$REDIRECT_URI" \
    --no-consent --json --database-url "$url" >/dev/null || die "$name: client create failed"
  # Only for the rotation check: without the 5 s reuse window a spent token is refused at once.
  "$BIN" client create --realm default --template spa --client-id spa-strict \
    --redirect-uri "$REDIRECT_URI" --no-consent --refresh-reuse-window 0 --json \
    --database-url "$url" >/dev/null || die "$name: client create (spa-strict) failed"
  # The resource server that introspects the spa client's tokens (client_secret_basic).
  local created
  created=$("$BIN" client create --realm default --template service --client-id "$RS_CLIENT_ID" --json \
    --database-url "$url") || die "$name: client create ($RS_CLIENT_ID) failed"
  F_RS_SECRET[$key]=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["client_id"]==sys.argv[2]; print(d["client_secret"])' "$created" "$RS_CLIENT_ID") \
    || die "$name: client create ($RS_CLIENT_ID) printed no usable JSON: $created"
  start_server "$key" 1 "$DISCOVERY" "${pc[@]}"
  F_NAME[$key]=$name; F_DISC[$key]=http://$ADDR$DISCOVERY; F_SPID[$key]=$SPID; F_PROBE[$key]=$PROBE
  F_STRICT[$key]=spa-strict; F_DB[$key]=$4
}

for key in $FLOW_TARGETS; do
  case $key in
    pc_sqlite)
      setup_portcullis pc_sqlite "Portcullis (SQLite)" "sqlite:$WORK/flows.db" sqlite
      F_DBCPU[$key]=""
      ;;
    pc_pg)
      command -v psql >/dev/null || die "psql is required for pc_pg (apt-get install postgresql-client)"
      psql -q "$PG_ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1 \
        || die "PostgreSQL not reachable at $PG_ADMIN_URL (start it, e.g. pg_ctlcluster --skip-systemctl-redirect 15 main start, set BENCH_PG_URL, or leave pc_pg out of FLOW_TARGETS)"
      PG_DB=portcullis_bench_$$_$RANDOM
      psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE \"$PG_DB\"" >/dev/null || die "could not create database $PG_DB"
      PG_URL=${PG_ADMIN_URL%/*}/$PG_DB
      PG_VERSION=$(psql -Atq "$PG_ADMIN_URL" -c 'SHOW server_version' 2>/dev/null || echo unknown)
      setup_portcullis pc_pg "Portcullis (PostgreSQL)" "$PG_URL" postgres
      F_DBCPU[$key]=postgres
      ;;
    node_opaque | node_jwt)
      mode=${key#node_}
      start_server "flows-node-$mode" 1 /.well-known/openid-configuration \
        node "$BENCH_DIR/node/provider.mjs" "$mode" 0 "$HOST"
      F_NAME[$key]="node-oidc-provider ($mode)"; F_DISC[$key]=http://$ADDR/.well-known/openid-configuration
      F_SPID[$key]=$SPID; F_PROBE[$key]=$PROBE; F_STRICT[$key]=spa; F_DBCPU[$key]=""; F_DB[$key]=memory
      F_RS_SECRET[$key]=$BENCH_RS_CLIENT_SECRET
      ;;
  esac
done
sleep "$SETTLE"
for key in $FLOW_TARGETS; do F_IDLE[$key]=$(rss_kb "${F_SPID[$key]}" VmRSS); done

# --- load: every target and operation in turn, ROUNDS times --------------------------------------
FAILED=()
for ((round = 1; round <= ROUNDS; round++)); do
  for key in $FLOW_TARGETS; do
    for op in $FLOW_OPS; do
      warm=$F_WARMUP; [[ $round == 1 ]] || warm=0
      log "${F_NAME[$key]}: $op, $CONNECTIONS chains on $F_SESSIONS sessions, ${F_DURATION}s (warm-up ${warm}s, round $round/$ROUNDS)"
      out=$WORK/flows.$key.$op.r$round.json
      rc=0
      # userinfo asks for the claims a resource server wants; node in jwt mode issues only JWT
      # access tokens for its resource, which it can neither introspect nor accept at userinfo:
      # its refusal is recorded instead of a measurement (--may-refuse 1).
      scope=openid; [[ $op == userinfo ]] && scope="openid profile email"
      may_refuse=0; [[ $key == node_jwt ]] && may_refuse=1
      # In the background, like wrk, so that a signal to this script is handled at once.
      BENCH_INTROSPECT_SECRET=${F_RS_SECRET[$key]} \
      node "$BENCH_DIR/node/flows.mjs" --name "${F_NAME[$key]}" --discovery "${F_DISC[$key]}" --op "$op" \
        --client-id spa --strict-client-id "${F_STRICT[$key]}" --redirect-uri "$REDIRECT_URI" \
        --scope "$scope" --introspect-client-id "$RS_CLIENT_ID" --may-refuse "$may_refuse" \
        --username alice --connections "$CONNECTIONS" --sessions "$F_SESSIONS" --duration "$F_DURATION" --warmup "$warm" \
        --server-pid "${F_SPID[$key]}" --db-cpu "${F_DBCPU[$key]}" --clk-tck "$CLK_TCK" \
        --out "$out" > "$WORK/flows.$key.$op.r$round.stdout" 2> >(tee -a "$WORK/flows.log" >&2) &
      FLOW_PID=$!
      PERF_PID=""
      if [[ ${PERF:-0} == 1 && $round == 1 && $key == pc_* ]]; then
        # Sampled during the measured seconds only: after the sign-ins and the warm-up.
        (sleep "$(awk -v w="$warm" 'BEGIN { print w + 2 }')"
         exec perf record -q -F 499 -g -p "${F_SPID[$key]}" -o "$WORK/perf.$key.$op.data" -- sleep "$(awk -v d="$F_DURATION" 'BEGIN { print d - 2 }')") \
          > "$WORK/perf.$key.$op.log" 2>&1 &
        PERF_PID=$!
      fi
      wait "$FLOW_PID" || rc=$?
      if [[ -n $PERF_PID ]]; then wait "$PERF_PID" || log "WARNING: perf record failed (see $WORK/perf.$key.$op.log)"; fi
      FLOW_PID=""
      if [[ $rc == 4 ]]; then
        FAILED+=("${F_NAME[$key]} $op")
        log "ERROR: ${F_NAME[$key]}: $op had failed requests (see the report)"
      elif [[ $rc != 0 ]]; then
        die "${F_NAME[$key]}: $op: flows.mjs failed (status $rc; server log $WORK/$key.err)"
      fi
    done
  done
done
for key in $FLOW_TARGETS; do
  kill -0 "${F_SPID[$key]}" 2>/dev/null || die "${F_NAME[$key]} is no longer running (see $WORK)"
  PROBE=${F_PROBE[$key]}
  stop_server
done

# --- report ------------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(cd "$ROOT" && git status --porcelain -- server app Cargo.toml Cargo.lock migrations 2>/dev/null) ]]; then REV="$REV+dirty"; fi
"$PY" - "$WORK/flows.json" <<EOF
import json, sys
targets = "$FLOW_TARGETS".split()
ops = "$FLOW_OPS".split()
names = {$(for k in $FLOW_TARGETS; do printf '"%s": "%s", ' "$k" "${F_NAME[$k]}"; done)}
dbs = {$(for k in $FLOW_TARGETS; do printf '"%s": "%s", ' "$k" "${F_DB[$k]}"; done)}
idle = {$(for k in $FLOW_TARGETS; do printf '"%s": %s, ' "$k" "${F_IDLE[$k]:-null}"; done)}
def load(k, op): return [json.load(open(f"$WORK/flows.{k}.{op}.r{i}.json")) for i in range(1, $ROUNDS + 1)]
r = {
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "portcullis_rev": "$REV",
    "oidc_provider_version": json.load(open("$BENCH_DIR/node/node_modules/oidc-provider/package.json"))["version"],
    "undici_version": json.load(open("$BENCH_DIR/node/node_modules/undici/package.json"))["version"],
    "node_version": "$(node --version)",
    "postgres_version": "${PG_VERSION:-}",
    "settings": {"duration_s": $F_DURATION, "connections": $CONNECTIONS, "sessions": $F_SESSIONS, "warmup_s": $F_WARMUP,
                 "rounds": $ROUNDS, "targets": targets, "ops": ops},
    "machine": {"nproc": "$(nproc)",
                "cpu_model": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
                "mem_total": "$(free -h | awk '/^Mem:/ { print $2 }')",
                "kernel": "$(uname -sr)",
                "load_before": "$LOAD_BEFORE", "load_after": "$LOAD_AFTER"},
    "targets": {k: {"name": names[k], "db": dbs[k], "idle_rss_kb": idle[k],
                    "runs": {op: load(k, op) for op in ops}} for k in targets},
}
json.dump(r, open(sys.argv[1], "w"), indent=1)
EOF
cp "$WORK/flows.json" "$ROOT/bench/results/flows.json"
if [[ ${PERF:-0} == 1 ]]; then
  {
    echo "# Where the server's CPU goes (perf, $(date -u +%Y-%m-%dT%H:%M:%SZ), Portcullis $REV)"
    echo
    for key in $FLOW_TARGETS; do
      for op in $FLOW_OPS; do
        data=$WORK/perf.$key.$op.data
        [[ -s $data ]] || continue
        perf report -i "$data" --no-children --sort dso,sym --stdio -q -g none 2>/dev/null \
          | "$PY" "$BENCH_DIR/perf_breakdown.py" "${F_NAME[$key]}: $op"
      done
    done
  } > "$ROOT/bench/results/flows-profile.md"
  log "written bench/results/flows-profile.md"
fi
"$PY" "$BENCH_DIR/report.py" flows-table "$WORK/flows.json" "$ROOT/bench/results/flows.md"
log "written bench/results/flows.md and bench/results/flows.json"
if ((${#FAILED[@]})); then
  die "failed requests in: ${FAILED[*]}"
fi
