#!/usr/bin/env bash
# Start-up of the release server: time from exec to the first answer of a point query, and the
# server's resident memory after start-up and after that query.
#
#   cargo build --release
#   benches/startup.sh [DATA_DIR] [RUNS] [BINARY]
#
# DATA_DIR defaults to the bundled geodata, RUNS to 10, BINARY to
# ${CARGO_TARGET_DIR:-target}/release/frontline. Each run starts a fresh server on a free
# port with a fresh edits database, polls `GET /api/query?lon=36.35&lat=35.6` (curl, every
# 2 ms) until it answers 200, then reads `VmRSS` and `VmHWM` from /proc/PID/status, and stops
# the server. Prints one line per run and the median of the times.
set -euo pipefail

data=${1:-geodata}
runs=${2:-10}
bin=${3:-${CARGO_TARGET_DIR:-target}/release/frontline}
query='/api/query?lon=36.35&lat=35.6'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# shellcheck source=support/server.sh
source "$(dirname "$0")/support/server.sh"

times=()
for run in $(seq 1 "$runs"); do
    start_server "$bin" "$data" "$work"
    while :; do
        poll_address "$work"
        if [[ -n $addr ]] && curl -sf -o /dev/null "http://$addr$query"; then
            break
        fi
        sleep 0.002
    done
    ms=$((($(date +%s%N) - start) / 1000000))
    listening=$(status_kb VmRSS "$pid")
    curl -sf -o /dev/null "http://$addr$query"
    echo "run $run: first answer after $ms ms; VmRSS $((listening / 1024)) MB, VmHWM $(($(status_kb VmHWM "$pid") / 1024)) MB"
    times+=("$ms")
    kill "$pid"
    wait "$pid" || true
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "median of $runs runs: $median ms (min $(echo "$sorted" | head -1), max $(echo "$sorted" | tail -1))"
