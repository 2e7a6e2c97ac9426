# Shell helpers for the start-up benchmarks (`benches/startup.sh`, `benches/resident.sh`);
# sourced, not run.

# A field of /proc/PID/status in kB: `status_kb VmRSS PID`.
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }

# Starts BINARY serving DATA on a free port with a fresh edits database in WORK, and sets `pid`
# and `start` (its start, ns). `poll_address` then sets `addr` once the server has printed it.
start_server() {
    local bin=$1 data=$2 work=$3
    rm -f "$work"/db*
    start=$(date +%s%N)
    "$bin" serve --data "$data" --addr 127.0.0.1:0 --db "$work/db" >"$work/out" 2>"$work/err" &
    pid=$!
    addr=""
}

# Sets `addr` (host:port) when the server started by `start_server` has printed its
# `listening on` line; exits with its error output if it stopped.
poll_address() {
    local work=$1
    # Only a whole line: a port read while the server is still writing it is cut short.
    if [[ -z $addr ]] && (($(wc -l <"$work/out") > 0)); then
        addr=$(sed -n '1s|^listening on http://||p' "$work/out")
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "the server stopped:" >&2
        cat "$work/err" >&2
        exit 1
    fi
}
