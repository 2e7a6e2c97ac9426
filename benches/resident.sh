#!/usr/bin/env bash
# Start-up and resident memory of the release server on a large data set: time from exec to
# listening, the CPU it spent by then, and its resident memory after a first point query and
# again once it has been idle for a while (jemalloc's background threads give the memory that
# loading freed back to the system within seconds).
#
#   cargo build --release
#   frontline synth --regions 100000 --out /tmp/s100k
#   benches/resident.sh /tmp/s100k [RUNS] [IDLE_SECONDS] [BINARY]
#
# RUNS defaults to 3, IDLE_SECONDS to 15, BINARY to ${CARGO_TARGET_DIR:-target}/release/frontline.
# The query is a one-point `POST /api/query` (no shares, so no control map is flattened: at
# 100,000 regions that alone takes half a minute). Prints one line per run.
set -euo pipefail

data=${1:?usage: benches/resident.sh DATA_DIR [RUNS] [IDLE_SECONDS] [BINARY]}
runs=${2:-3}
idle=${3:-15}
bin=${4:-${CARGO_TARGET_DIR:-target}/release/frontline}
point='{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[0.5,0.5]}}]}'

work=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

# shellcheck source=support/server.sh
source "$(dirname "$0")/support/server.sh"
mb() { echo "$(($1 / 1024)) MB"; }

tick=$(getconf CLK_TCK)
for run in $(seq 1 "$runs"); do
    start_server "$bin" "$data" "$work"
    until [[ -n $addr ]]; do
        poll_address "$work"
        sleep 0.01
    done
    listening=$((($(date +%s%N) - start) / 1000000))
    read -r utime stime < <(awk '{ print $14, $15 }' "/proc/$pid/stat")
    cpu_ms=$(((utime + stime) * 1000 / tick))
    curl -sf -o /dev/null -X POST -H 'Content-Type: application/geo+json' --data "$point" \
        "http://$addr/api/query"
    after_query=$(status_kb VmRSS "$pid")
    sleep "$idle"
    settled=$(status_kb VmRSS "$pid")
    peak=$(status_kb VmHWM "$pid")
    kill -INT "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    echo "run $run: listening after ${listening} ms, ${cpu_ms} ms CPU by then;" \
        "resident $(mb "$after_query") after a query, $(mb "$settled") ${idle} s later," \
        "peak $(mb "$peak")"
done
