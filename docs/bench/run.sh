#!/usr/bin/env bash
# The benchmark of docs/performance.md: installs what it needs, builds jit in release mode, runs
# docs/bench/bench.py against one `jit emulator`. Extra arguments go to bench.py, e.g.
#   docs/bench/run.sh --runs 20 --out /tmp/bench.json
# Needs: cargo, python3, GNU time (installed here with apt-get when missing), and the Google Cloud
# CLI (`gcloud`) for the comparisons; gcloud is not in Debian's archive, so it is not installed
# here: install it from Google's instructions first.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/time ] || ! command -v python3 >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq time python3 >/dev/null
fi
if ! command -v gcloud >/dev/null; then
    echo "gcloud (the Google Cloud CLI) is needed for the comparisons and is not installed" >&2
    exit 1
fi

cargo build --release --quiet
target="${CARGO_TARGET_DIR:-target}"
exec python3 docs/bench/bench.py --jit "$target/release/jit" "$@"
