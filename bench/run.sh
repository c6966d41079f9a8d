#!/usr/bin/env bash
# Supportbox benchmark, end to end (see bench/README.md):
#
#   bench/run.sh                      # 10 tenants x 10,000 tickets (about 10 minutes)
#   TICKETS=1000000 bench/run.sh      # the budget size of docs/performance.md
#
# Builds the release binary and the load generator, generates the data once with
# `supportbox demo-data` (kept as a pristine copy under bench/data/ and reused by every
# later run of the same size), copies it to a working directory, measures cold start,
# starts the server, runs the scenarios, stops the server. Results: a table on stdout,
# JSON files and a copy of the table in bench/results/.
#
# Settings (environment variables):
#   TENANTS=10  TICKETS=10000     data size (TICKETS is the total, spread over tenants)
#   SCENARIOS=create,reads,writes,mixed,findable
#   DURATION=10 WARMUP=2          seconds measured / warmed up per step
#   CREATE_CLIENTS=1,8,32,128  READ_CLIENTS=1,8  WRITE_CLIENTS=8  MIXED_CLIENTS=32
#   READ_OPS=search,tab           only the read operations whose name contains one of these
#   FINDABLE_SAMPLES=30 FINDABLE_LOAD=32
#   COLD_RUNS=5                   cold starts (0 skips them); DROP_CACHES=1 empties the
#                                 page cache before each (machine-wide, root only)
#   PORT=28443                    HTTPS port of the server under test (loopback only)
#   BENCH_DATA=bench/data         where generated data lives (git-ignored)
#   RESULTS=bench/results         where results go
#   FRESH=1                       throw the generated data away and generate it again
#   KEEP_DIRTY=1                  run on the working copy left by the last run
#   NOTE="..."                    free text stored with the results
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

TENANTS=${TENANTS:-10}
TICKETS=${TICKETS:-10000}
SCENARIOS=${SCENARIOS:-create,reads,writes,mixed,findable}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CREATE_CLIENTS=${CREATE_CLIENTS:-1,8,32,128}
READ_CLIENTS=${READ_CLIENTS:-1,8}
READ_OPS=${READ_OPS:-}
WRITE_CLIENTS=${WRITE_CLIENTS:-8}
MIXED_CLIENTS=${MIXED_CLIENTS:-32}
FINDABLE_SAMPLES=${FINDABLE_SAMPLES:-30}
FINDABLE_LOAD=${FINDABLE_LOAD:-32}
COLD_RUNS=${COLD_RUNS:-5}
DROP_CACHES=${DROP_CACHES:-0}
PORT=${PORT:-28443}
BENCH_DATA=${BENCH_DATA:-bench/data}
RESULTS=${RESULTS:-bench/results}
FRESH=${FRESH:-0}
KEEP_DIRTY=${KEEP_DIRTY:-0}
NOTE=${NOTE:-}

source bench/lib.sh
build_binaries

name="t${TENANTS}-n${TICKETS}"
dir=$BENCH_DATA/$name
pristine=$dir/pristine
data=$dir/data
cache=$dir/tokens.json
mkdir -p "$dir" "$RESULTS"

trap stop_server EXIT

if [ "$FRESH" = 1 ] || [ ! -f "$dir/.complete" ]; then
  log "generating $TICKETS tickets in $TENANTS tenants into $pristine"
  rm -rf "$pristine" "$data" "$cache" "$dir/.complete"
  mkdir -p "$pristine"
  started=$(date +%s)
  "$bin" demo-data --data-dir "$pristine" --tenants "$TENANTS" --tickets "$TICKETS" \
    >"$dir/demo-data.txt"
  cat "$dir/demo-data.txt"
  echo "demo-data took $(($(date +%s) - started)) s"
  password=$(sed -n 's/^Password for every demo account: //p' "$dir/demo-data.txt")
  # The first start creates the TLS files; every client's API token is minted once
  # here, so that every copy of the pristine directory already knows them.
  log "first start: certificates and API tokens"
  start_server "$pristine"
  "$loadgen" run --data-dir "$pristine" --base "https://127.0.0.1:$PORT" \
    --password "$password" --cache "$cache" --tenants "$TENANTS" --scenarios prepare \
    --create-clients "$CREATE_CLIENTS" --read-clients "$READ_CLIENTS" \
    --write-clients "$WRITE_CLIENTS" --mixed-clients "$MIXED_CLIENTS" \
    --findable-load "$FINDABLE_LOAD"
  stop_server
  touch "$dir/.complete"
else
  log "reusing the generated data in $pristine"
fi
password=$(sed -n 's/^Password for every demo account: //p' "$dir/demo-data.txt")

if [ "$KEEP_DIRTY" != 1 ] || [ ! -d "$data" ]; then
  log "copying the pristine data to $data"
  rm -rf "$data"
  cp -a --reflink=auto "$pristine" "$data"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)-$name
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$( (git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null || true) | wc -l)
note="commit $commit (+$dirty changed files in src/Cargo), $(nproc) cores, load generator on the same machine. $NOTE"
common=(--data-dir "$data" --out "$RESULTS" --stamp "$stamp" --tickets "$TICKETS"
  --tenants "$TENANTS" --note "$note")

# Everything from here on is also kept as the run's summary.
exec > >(tee "$RESULTS/$stamp-summary.txt") 2>&1
# Durable creation is bound by how fast the disk syncs; record it with every run.
log "disk: 200 synchronous 4 KiB writes in $dir"
dd if=/dev/zero of="$dir/sync-probe" bs=4k count=200 oflag=dsync 2>&1 | tail -1
rm -f "$dir/sync-probe"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "$COLD_RUNS" -gt 0 ]; then
  log "cold start ($COLD_RUNS runs)"
  extra=()
  [ "$DROP_CACHES" = 1 ] && extra+=(--drop-caches)
  "$loadgen" coldstart "${common[@]}" --bin "$bin" --port "$PORT" --runs "$COLD_RUNS" \
    --log "$dir/server.log" "${extra[@]}"
fi

log "starting the server on $data"
start_server "$data"
"$loadgen" run "${common[@]}" --base "https://127.0.0.1:$PORT" --password "$password" \
  --pid "$server_pid" --cache "$cache" --scenarios "$SCENARIOS" \
  --duration "$DURATION" --warmup "$WARMUP" --create-clients "$CREATE_CLIENTS" \
  --read-clients "$READ_CLIENTS" --read-ops "$READ_OPS" --write-clients "$WRITE_CLIENTS" \
  --mixed-clients "$MIXED_CLIENTS" --findable-samples "$FINDABLE_SAMPLES" \
  --findable-load "$FINDABLE_LOAD"
log "stopping the server"
stop_server
echo "results: $RESULTS/$stamp-*"
