# Shared by bench/run.sh and bench/backup.sh (sourced, not run): the binaries and the
# lifecycle of the server under test. Expects PORT and dir (the size's bench data
# directory) to be set by the caller.

log() { printf '\n== %s\n' "$*" >&2; }

# Builds the release server and the load generator; sets $bin and $loadgen.
build_binaries() {
  log "building the release binary"
  cargo build --release
  bin=${CARGO_TARGET_DIR:-$root/target}/release/supportbox
  log "building the load generator"
  (cd bench/loadgen && cargo build --release)
  loadgen=${CARGO_TARGET_DIR:-$root/bench/loadgen/target}/release/supportbox-loadgen
}

server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=
}

start_server() { # data-dir
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT is already in use; choose another with PORT=..." >&2
    exit 1
  fi
  "$bin" serve --data-dir "$1" --https-addr "127.0.0.1:$PORT" --http-addr off \
    >>"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if "$bin" healthcheck --data-dir "$1" --https-addr "127.0.0.1:$PORT" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server exited; see $dir/server.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "the server did not answer /healthz in 60 s; see $dir/server.log" >&2
  exit 1
}
