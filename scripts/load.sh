#!/usr/bin/env bash
# Bounded load test (issue 12): reads, 1,000-point batches and authenticated writes at once,
# with change streams held open, against the release binary on a free loopback port, with a
# copy of geodata/ and a fresh database in a temporary directory (removed at exit unless
# --keep). Reports per class throughput, p50/p99 latency and answers by status class; the
# server's resident memory before, after, at peak and its slope; then stops the server with
# SIGTERM, restarts it and checks every acknowledged write is stored exactly once, and does the
# same after a SIGKILL in the middle of writes. --overload adds a server driven past a small
# --max-in-flight: every refusal must be a 503 with Retry-After. Prints a markdown summary for
# SECURITY.md. Not part of `cargo test` or `.ci/run`.
#
#   scripts/load.sh                     # 60 s, 160 readers, 8 batch clients, 8 writers
#   scripts/load.sh --duration 180 --overload
#   scripts/load.sh --smoke             # 10 s, a few clients; the memory slope is not judged
#   scripts/load.sh --help
#
# Needs Python 3 (standard library only; tested with 3.11) and Linux (/proc). Honours
# CARGO_TARGET_DIR. Exits 1 on any 5xx below the limit, transport error, unexpected 4xx, lost,
# duplicated or altered acknowledged write, ERROR in the server's log, or an RSS slope of
# 1 MB/min or more. Bounded: the whole run stops after --duration + 600 s at the latest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
target="${CARGO_TARGET_DIR:-$root/target}"
if [[ " $* " != *" --help "* && " $* " != *" -h "* ]]; then
  (cd "$root" && cargo build --release --quiet --bin frontline)
fi
exec python3 "$here/load_test.py" --bin "$target/release/frontline" "$@"
