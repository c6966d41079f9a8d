#!/usr/bin/env bash
# Flat CPU profile of the server (perf) while one load-generator scenario runs.
# Needs the data that bench/run.sh generated for the same size; runs on its working copy.
#
#   TICKETS=1000000 SCENARIO=create CREATE_CLIENTS=32 bench/profile.sh
#   TICKETS=1000000 SCENARIO=reads READ_OPS=search READ_CLIENTS=8 bench/profile.sh
#
# Writes bench/results/<time>-t<T>-n<N>-profile-<scenario>.txt: the hottest symbols per
# thread name. The release binary has no frame pointers, so the profile is flat (no call
# graph); symbols are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
TENANTS=${TENANTS:-10}
TICKETS=${TICKETS:-10000}
SCENARIO=${SCENARIO:-create}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
PORT=${PORT:-28443}
BENCH_DATA=${BENCH_DATA:-bench/data}
RESULTS=${RESULTS:-bench/results}
CREATE_CLIENTS=${CREATE_CLIENTS:-32}
READ_CLIENTS=${READ_CLIENTS:-8}
READ_OPS=${READ_OPS:-}

command -v perf >/dev/null || { echo "perf is needed (apt-get install linux-perf)" >&2; exit 1; }
name="t${TENANTS}-n${TICKETS}"
dir=$BENCH_DATA/$name
[ -f "$dir/.complete" ] || { echo "run TICKETS=$TICKETS bench/run.sh first" >&2; exit 1; }
bin=${CARGO_TARGET_DIR:-$root/target}/release/supportbox
loadgen=${CARGO_TARGET_DIR:-$root/bench/loadgen/target}/release/supportbox-loadgen
password=$(sed -n 's/^Password for every demo account: //p' "$dir/demo-data.txt")
[ -d "$dir/data" ] || cp -a --reflink=auto "$dir/pristine" "$dir/data"

stamp=$(date -u +%Y%m%dT%H%M%SZ)-$name
out=$RESULTS/$stamp-profile-$SCENARIO
"$bin" serve --data-dir "$dir/data" --https-addr "127.0.0.1:$PORT" --http-addr off \
  >>"$dir/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until "$bin" healthcheck --data-dir "$dir/data" --https-addr "127.0.0.1:$PORT" >/dev/null 2>&1; do
  sleep 0.1
done
perf record -F 499 -p "$pid" -o "$out.perf.data" 2>/dev/null &
perf_pid=$!
"$loadgen" run --data-dir "$dir/data" --out "$RESULTS" --stamp "$stamp-profiled" \
  --tickets "$TICKETS" --tenants "$TENANTS" --note "under perf record" \
  --base "https://127.0.0.1:$PORT" --password "$password" --pid "$pid" \
  --cache "$dir/tokens.json" --scenarios "$SCENARIO" --duration "$DURATION" \
  --warmup "$WARMUP" --create-clients "$CREATE_CLIENTS" --read-clients "$READ_CLIENTS" \
  --read-ops "$READ_OPS"
kill -INT "$perf_pid" 2>/dev/null || true
wait "$perf_pid" 2>/dev/null || true
{ perf report -i "$out.perf.data" --no-children --sort comm,symbol --stdio 2>/dev/null |
  grep -v '^#' | grep -v '^$' | cut -c1-160 | head -80; } >"$out.txt" || true
rm -f "$out.perf.data" "$RESULTS/$stamp-profiled-memory.json"
cat "$out.txt"
echo "profile: $out.txt"
