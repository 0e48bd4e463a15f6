#!/usr/bin/env bash
# Fuzzes every route in the server's own OpenAPI document with schemathesis and fails on
# any 5xx: bad input must get a 4xx, never a server error. Runs the debug `nimbus`
# binary on a temp data dir on loopback, signed in as its first (admin) user.
# Usage: tools/fuzz-api/run.sh [path/to/nimbus]
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-target}/debug/nimbus}"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/data" > "$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "$base/healthz" > /dev/null && break; sleep 0.1; done
curl -sf "$base/api/v1/auth/register" -H 'Content-Type: application/json' \
  -d '{"username":"fuzzer","password":"fuzzer password 1","email":"fuzzer@example.org"}' > /dev/null
token=$(curl -sf "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d '{"username":"fuzzer","password":"fuzzer password 1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# Routes that would end the fuzzer's own session are left out.
# Our own media types (tus chunks) are registered by the hooks module beside this script.
SCHEMATHESIS_HOOKS=nimbus_hooks PYTHONPATH="$(dirname "$0")${PYTHONPATH:+:$PYTHONPATH}" \
st run "$base/api/v1/openapi.json" --url "$base" -H "Authorization: Bearer $token" \
  --checks not_a_server_error --max-examples 25 --seed 181934134421867242442507297973210387466 \
  --exclude-path /api/v1/auth/logout --exclude-path /api/v1/me/password --exclude-path-regex '^/api/v1/me$' --no-color
if grep -E "ERROR|panicked" "$work/serve.log"; then
  echo "fuzz-api: the server logged errors (above)" >&2
  exit 1
fi
echo "fuzz-api: no server errors"
