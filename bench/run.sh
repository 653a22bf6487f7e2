#!/usr/bin/env bash
# Token-endpoint benchmark: Portcullis vs node-oidc-provider (opaque and JWT access tokens),
# client_credentials + client_secret_basic, same wrk settings, one invocation. See bench/README.md.
#
#   bench/run.sh          client_credentials (wrk)
#   bench/run.sh flows    refresh-token rotation and the code flow (bench/flows.sh; also FLOWS=1)
#   bench/run.sh scale    client_credentials and refresh rotation, one vs two instances over one
#                         PostgreSQL (bench/scale.sh)
#
# Env: DURATION (15s) CONNECTIONS (32) THREADS (2) WARMUP (3s, 0 = none) START_RUNS (5)
#      ROUNDS (1; each round measures every target once, the report takes the median round)
#      SETTLE (1, seconds before idle RSS) BENCH_BIN (use this portcullis binary, skip the build)
#      BENCH_STRICT=1 (exit 3 when a target is missed) KEEP_TMP=1 (keep the temp dir and logs)
#      CARGO_TARGET_DIR (honoured when locating the binary)
set -euo pipefail

MODE=${1:-}
[[ ${FLOWS:-0} == 1 && -z $MODE ]] && MODE=flows
case $MODE in
  "" | flows | scale) ;;
  *) echo "usage: bench/run.sh [flows|scale]" >&2; exit 2 ;;
esac

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$BENCH_DIR/.." && pwd)
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-3s}
START_RUNS=${START_RUNS:-5}
ROUNDS=${ROUNDS:-1}
SETTLE=${SETTLE:-1}
HOST=127.0.0.1
PY=${PYTHON:-python3}
DISCOVERY=/realms/default/.well-known/openid-configuration
TOKEN_PATH=/realms/default/protocol/openid-connect/token
CLIENT_ID=bench-service

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- cleanup: every server runs under a probe.py child of this shell; stopping the probe stops
# --- (and reaps) its server.
PROBES=()
WORK=""
WRK_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p
  if [[ -n $WRK_PID ]]; then kill -TERM "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; fi
  for p in "${PROBES[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PROBES[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ ${KEEP_TMP:-0} == 1 || $rc != 0 ]]; then
      log "logs and databases kept in $WORK"
    else
      rm -rf -- "$WORK"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Settings a caller may have exported for another purpose must not change what is measured.
BIN_OVERRIDE=${BENCH_BIN:-}
for v in $(compgen -e | grep -E '^(PORTCULLIS_|DATABASE_URL$|LEPTOS_)' || true); do unset "$v"; done
export PORTCULLIS_LOG=warn

# --- prerequisites -------------------------------------------------------------------------
command -v "$PY" >/dev/null || die "python3 is required"
command -v node >/dev/null || die "node (20+) is required"
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  SUDO=""; [[ $EUID -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y wrk >&2 || { $SUDO apt-get update >&2 && $SUDO apt-get install -y wrk >&2; }
fi
if [[ ! -d $BENCH_DIR/node/node_modules/oidc-provider || ! -d $BENCH_DIR/node/node_modules/undici ]]; then
  log "npm ci in bench/node"
  (cd "$BENCH_DIR/node" && npm ci --no-audit --no-fund >&2)
fi

if [[ -n $BIN_OVERRIDE ]]; then
  BIN=$(realpath -- "$BIN_OVERRIDE")
else
  log "cargo build --release -p server"
  (cd "$ROOT" && cargo build --release -p server >&2)
  TD=${CARGO_TARGET_DIR:-$ROOT/target}
  [[ $TD == /* ]] || TD=$ROOT/$TD
  BIN=$TD/release/portcullis
fi
[[ -x $BIN ]] || die "no portcullis binary at $BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
mkdir -p "$WORK/run" "$ROOT/bench/results"
cd "$WORK/run"   # no stray ./portcullis.toml gets picked up

# --- helpers -------------------------------------------------------------------------------
ADDR=""; SPID=""; PROBE=""; START_S=""
# start_server NAME KEEP(0|1) DISCOVERY_PATH CMD...: sets ADDR, SPID, PROBE (if kept), START_S.
start_server() {
  local name=$1 keep=$2 path=$3; shift 3
  local info=$WORK/$name.info
  rm -f "$info"
  if [[ $keep == 1 ]]; then
    "$PY" "$BENCH_DIR/probe.py" --keep --info "$info" --stdout "$WORK/$name.out" \
      --stderr "$WORK/$name.err" --path "$path" -- "$@" &
    PROBE=$!
    PROBES+=("$PROBE")
    while [[ ! -s $info ]]; do
      kill -0 "$PROBE" 2>/dev/null || { wait "$PROBE" || true; die "$name did not start (see $WORK/$name.err)"; }
      sleep 0.02
    done
  else
    "$PY" "$BENCH_DIR/probe.py" --info "$info" --stdout "$WORK/$name.out" \
      --stderr "$WORK/$name.err" --path "$path" -- "$@" || die "$name did not start (see $WORK/$name.err)"
  fi
  read -r ADDR SPID START_S < <("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["addr"], d["pid"], d["start_s"])' "$info")
}
stop_server() {
  kill -TERM "$PROBE" 2>/dev/null || true
  wait "$PROBE" 2>/dev/null || true
  local keep=() p
  for p in "${PROBES[@]}"; do [[ $p != "$PROBE" ]] && keep+=("$p"); done
  PROBES=("${keep[@]+"${keep[@]}"}")
  PROBE=""
}
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# Sets CHILD_CPU to the CPU seconds used by this shell's finished children. `times` must run in
# this shell itself (not in $(...)): a subshell starts with zero child times.
children_cpu() {
  times > "$WORK/times"
  CHILD_CPU=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2] } printf "%.3f\n", t }' "$WORK/times")
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
CLK_TCK=$(getconf CLK_TCK)
# run_wrk OUT ARGS...: wrk in the background so that a signal to this script is handled at once.
run_wrk() {
  local out=$1; shift
  wrk "$@" > "$out" &
  WRK_PID=$!
  wait "$WRK_PID" || die "wrk failed (status $?): $(cat "$out")"
  WRK_PID=""
}

sys_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# Per target (KEY in TARGETS): display name, kind of token, URL, secret, server pid, probe pid,
# start time, idle RSS.
declare -A T_NAME T_KIND T_URL T_SECRET T_SPID T_PROBE T_START T_IDLE
TARGETS=(portcullis node_opaque node_jwt)

# bench_target KEY ROUND: (warm-up in round 1), measured wrk run, CPU and RSS; writes
# $WORK/KEY.rROUND.json.
bench_target() {
  local key=$1 round=$2
  local name=${T_NAME[$key]} url=${T_URL[$key]} spid=${T_SPID[$key]}
  export BENCH_CLIENT_ID=$CLIENT_ID BENCH_CLIENT_SECRET=${T_SECRET[$key]} BENCH_TARGET=$name
  if [[ $round == 1 && $WARMUP != 0 && $WARMUP != 0s ]]; then
    log "$name: warm-up $WARMUP"
    run_wrk "$WORK/$key.warmup.txt" -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$BENCH_DIR/token.lua" "$url"
  fi
  log "$name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION (round $round/$ROUNDS)"
  local t0 c0 w0 b0 t1 c1 w1 b1 out=$WORK/$key.r$round.wrk.txt
  c0=$(cpu_ticks "$spid"); b0=$(sys_busy_ticks); children_cpu; w0=$CHILD_CPU; t0=$EPOCHREALTIME
  run_wrk "$out" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH_DIR/token.lua" "$url"
  t1=$EPOCHREALTIME; children_cpu; w1=$CHILD_CPU; b1=$(sys_busy_ticks); c1=$(cpu_ticks "$spid")
  local load peak line
  load=$(rss_kb "$spid" VmRSS); peak=$(rss_kb "$spid" VmHWM)
  line=$(grep '^{"bench"' "$out") || die "$name: wrk printed no result (see $out)"
  local wall server_cores wrk_cores other_cores
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  server_cores=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" -v w="$wall" 'BEGIN { printf "%.2f", (b - a) / hz / w }')
  wrk_cores=$(awk -v a="$w0" -v b="$w1" -v w="$wall" 'BEGIN { printf "%.2f", (b - a) / w }')
  # Everything else that kept the CPUs busy meanwhile (other jobs, hypervisor steal).
  other_cores=$(awk -v a="$b0" -v b="$b1" -v hz="$CLK_TCK" -v w="$wall" -v s="$server_cores" -v k="$wrk_cores" \
    'BEGIN { o = (b - a) / hz / w - s - k; printf "%.2f", (o < 0 ? 0 : o) }')
  printf '{"key":"%s","name":"%s","round":%s,"url":"%s","idle_rss_kb":%s,"load_rss_kb":%s,"peak_rss_kb":%s,"start_s":%s,"server_cpu_cores":%s,"wrk_cpu_cores":%s,"other_cpu_cores":%s,"wrk":%s}\n' \
    "$key" "$name" "$round" "$url" "${T_IDLE[$key]}" "$load" "$peak" "${T_START[$key]}" \
    "$server_cores" "$wrk_cores" "$other_cores" "$line" > "$WORK/$key.r$round.json"
  local non200
  non200=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["wrk"]["non_200"])' "$WORK/$key.r$round.json")
  [[ $non200 == 0 ]] || log "WARNING: $name: $non200 non-200 responses ($(grep -o '"first_bad_status":[0-9]*' <<<"$line"))"
  log "$name: $(grep -o '"requests_per_sec":[0-9.]*' <<<"$line"), server ${server_cores} cores, wrk ${wrk_cores} cores, other ${other_cores} cores"
}

check_target() {
  local key=$1
  "$PY" "$BENCH_DIR/report.py" check-token "${T_KIND[$key]}" "${T_URL[$key]}" "$CLIENT_ID" "${T_SECRET[$key]}"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

if [[ $MODE == flows ]]; then
  # shellcheck source=bench/flows.sh
  source "$BENCH_DIR/flows.sh"
  exit 0
fi
if [[ $MODE == scale ]]; then
  # shellcheck source=bench/scale.sh
  source "$BENCH_DIR/scale.sh"
  exit 0
fi

# --- a. Portcullis start-up ----------------------------------------------------------------
DB=$WORK/portcullis.db
PC=("$BIN" serve --addr "$HOST:0" --management-addr "$HOST:0" --database-url "sqlite:$DB")
log "portcullis: first start (creates $DB, master key, signing keys)"
start_server portcullis-first 0 "$DISCOVERY" "${PC[@]}"
FIRST_START=$START_S
CREATED=$("$BIN" client create --realm default --template service --client-id "$CLIENT_ID" \
  --scope read:dataset --json --database-url "sqlite:$DB")
SECRET=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["client_id"]==sys.argv[2]; print(d["client_secret"])' "$CREATED" "$CLIENT_ID") \
  || die "client create printed no usable JSON: $CREATED"

SAMPLES=()
for ((i = 1; i <= START_RUNS; i++)); do
  start_server "portcullis-restart$i" 0 "$DISCOVERY" "${PC[@]}"
  SAMPLES+=("$START_S")
done
START_MEDIAN=$(median "${SAMPLES[@]}")
log "portcullis: first start ${FIRST_START}s, restarts ${SAMPLES[*]} (median ${START_MEDIAN}s)"

# --- start the three targets (they idle while another one is measured) ----------------------
start_server portcullis 1 "$DISCOVERY" "${PC[@]}"
T_NAME[portcullis]=Portcullis; T_KIND[portcullis]=jwt; T_URL[portcullis]=http://$ADDR$TOKEN_PATH
T_SECRET[portcullis]=$SECRET; T_SPID[portcullis]=$SPID; T_PROBE[portcullis]=$PROBE; T_START[portcullis]=$START_MEDIAN
sleep "$SETTLE"
T_IDLE[portcullis]=$(rss_kb "$SPID" VmRSS)

NODE_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
export BENCH_CLIENT_ID=$CLIENT_ID BENCH_CLIENT_SECRET=$NODE_SECRET
for mode in opaque jwt; do
  key=node_$mode
  start_server "node-$mode" 1 /.well-known/openid-configuration node "$BENCH_DIR/node/provider.mjs" "$mode" 0 "$HOST"
  T_NAME[$key]="node-oidc-provider ($mode)"; T_KIND[$key]=$mode; T_URL[$key]=http://$ADDR/token
  T_SECRET[$key]=$NODE_SECRET; T_SPID[$key]=$SPID; T_PROBE[$key]=$PROBE; T_START[$key]=$START_S
  sleep "$SETTLE"
  T_IDLE[$key]=$(rss_kb "$SPID" VmRSS)
done

for key in "${TARGETS[@]}"; do
  CHECK=$(check_target "$key") || die "${T_NAME[$key]}: token request failed"
  log "${T_NAME[$key]}: $CHECK, idle RSS ${T_IDLE[$key]} kB"
done

# --- b. load: every target in turn, ROUNDS times --------------------------------------------
for ((round = 1; round <= ROUNDS; round++)); do
  for key in "${TARGETS[@]}"; do
    bench_target "$key" "$round"
  done
done
for key in "${TARGETS[@]}"; do
  check_target "$key" >/dev/null || die "${T_NAME[$key]} failed after the load"
  PROBE=${T_PROBE[$key]}
  stop_server
done

# --- report --------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(cd "$ROOT" && git status --porcelain -- server app Cargo.toml Cargo.lock migrations 2>/dev/null) ]]; then REV="$REV+dirty"; fi
"$PY" - "$WORK/results.json" <<EOF
import json, sys
def load(k): return [json.load(open(f"$WORK/{k}.r{i}.json")) for i in range(1, $ROUNDS + 1)]
r = {
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "portcullis_rev": "$REV",
    "oidc_provider_version": json.load(open("$BENCH_DIR/node/node_modules/oidc-provider/package.json"))["version"],
    "node_version": "$(node --version)",
    "wrk_version": "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)",
    "settings": {"duration": "$DURATION", "connections": "$CONNECTIONS", "threads": "$THREADS",
                 "warmup": "$WARMUP", "settle_s": "$SETTLE"},
    "machine": {"nproc": "$(nproc)",
                "cpu_model": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
                "mem_total": "$(free -h | awk '/^Mem:/ { print $2 }')",
                "kernel": "$(uname -sr)",
                "load_before": "$LOAD_BEFORE", "load_after": "$LOAD_AFTER"},
    "first_start_s": $FIRST_START,
    "start_runs": $START_RUNS,
    "start_samples": [$(IFS=,; echo "${SAMPLES[*]}")],
    "rounds": $ROUNDS,
    "runs": {k: load(k) for k in ("portcullis", "node_opaque", "node_jwt")},
}
json.dump(r, open(sys.argv[1], "w"), indent=1)
EOF
cp "$WORK/results.json" "$ROOT/bench/results/latest.json"
"$PY" "$BENCH_DIR/report.py" table "$WORK/results.json" "$ROOT/bench/results/latest.md"
log "written bench/results/latest.md and bench/results/latest.json"
