#!/usr/bin/env bash
# What the role catalog (data/gcp-roles.json, turned into static tables by build.rs) costs:
# binary size, and the start-up of grant and list, with the catalog and without it
# (docs/performance.md, "The role catalog"). Builds jit in release mode twice, the second time
# with JIT_ROLES_DATA pointing at an empty catalog (build.rs reads that file instead; nothing in
# the repository changes), then times both binaries with `perf stat -r RUNS`, A B A B.
#
#   docs/bench/catalog.sh [RUNS]        (default 30; honours CARGO_TARGET_DIR)
#
# The commands are offline (a policy file), so that only jit's own start-up and work are timed:
#   jit --version
#   jit list --policy-file P --all --format json
#   jit grant roles/storage.objectViewer --for 1h --member bob@example.com --policy-file P \
#       --no-role-check --format json        (both binaries: the empty catalog knows no role)
#   jit grant … without --no-role-check      (the catalog's binary: the check looks the role up)
# Needs perf (linux-perf).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-30}"
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The empty build first, so that the target is left as a normal build leaves it (the second
# build relinks only jit).
echo '{"source":"an empty catalog for docs/bench/catalog.sh (2026-12-01)","permissions":[],"roles":[]}' \
    > "$work/empty.json"
JIT_ROLES_DATA="$work/empty.json" cargo build --release --quiet 2>/dev/null
cp "$target/release/jit" "$work/jit-empty"
cargo build --release --quiet
cp "$target/release/jit" "$work/jit-catalog"

echo "sizes (stripped release, with the emulator):"
for b in jit-catalog jit-empty; do
    printf '  %-12s %s bytes\n' "$b" "$(stat -c %s "$work/$b")"
done
"$work/jit-catalog" roles list --format json | python3 -c 'import json,sys; print("  roles in the catalog build:", len(json.load(sys.stdin)))'
"$work/jit-empty" roles list --format json | python3 -c 'import json,sys; print("  roles in the empty build:", len(json.load(sys.stdin)))'

cat > "$work/policy.json" <<'JSON'
{"version": 3, "etag": "BwYRRpZ0Nr8=", "bindings": [
 {"role": "roles/viewer", "members": ["group:sre@example.com", "user:a@example.com"]},
 {"role": "roles/storage.admin", "members": ["user:b@example.com"], "condition": {"title": "jit until 2030-01-01T00:00:00Z", "description": "Granted by user:alice@example.com at 2029-12-31T22:00:00Z via jit.", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")"}}
]}
JSON

time_it() {  # LABEL BINARY ARGS...: perf stat's mean task-clock and elapsed time, with their spread
    local label="$1"; shift
    local out cpu wall
    out="$(perf stat -r "$runs" "$@" 2>&1 >/dev/null)"
    cpu="$(echo "$out" | awk '/task-clock/ {print $1 " ms CPU (± " $(NF-1) ")"}')"
    wall="$(echo "$out" | awk '/time elapsed/ {printf "%.2f ms wall (± %.2f)", $1 * 1000, $3 * 1000}')"
    printf '  %-36s %-26s %s\n' "$label" "$cpu" "$wall"
}

policy="$work/policy.json"
for round in 1 2; do
    echo "round $round (perf stat -r $runs: mean task-clock and elapsed time):"
    for b in jit-catalog jit-empty; do
        time_it "$b --version" "$work/$b" --version
        time_it "$b list" "$work/$b" list --policy-file "$policy" --all --format json
        time_it "$b grant --no-role-check" "$work/$b" grant roles/storage.objectViewer --for 1h \
            --member bob@example.com --policy-file "$policy" --no-role-check --format json
    done
    time_it "jit-catalog grant (role checked)" "$work/jit-catalog" grant roles/storage.objectViewer --for 1h \
        --member bob@example.com --policy-file "$policy" --format json
done
