#!/usr/bin/env bash
# Load on the institutions' status service (not a test): a fresh SQLite instance with one
# decided person, served by the given binary on loopback, driven by wrk.
#   api/bench/status_load.sh [BINARY] [SECONDS] [CONNECTIONS]
# Prints wrk's report (requests/s and the latency distribution with p99).
set -euo pipefail
bin="${1:-target/release/atzinums}"
seconds="${2:-20}"
connections="${3:-32}"
here="$(cd "$(dirname "$0")" && pwd)"
data="$(mktemp -d)"
port=18090
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT

export ATZINUMS_MASTER_KEY="$(openssl rand -hex 32)" ATZINUMS_LISTEN="127.0.0.1:$port" ATZINUMS_LOG=warn
"$bin" --data-dir "$data" bench seed-status > "$data/seed.json"
STATUS_TOKEN="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$data/seed.json")"
PERSON_CODE="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["person_code"])' "$data/seed.json")"
export STATUS_TOKEN PERSON_CODE
"$bin" --data-dir "$data" serve > "$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/status.lua" "http://127.0.0.1:$port/api/v1/status"
