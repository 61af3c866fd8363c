#!/usr/bin/env bash
# Property-based tests of the whole HTTP API against its OpenAPI document, with schemathesis.
#
#   bash tests/schemathesis/run.sh [path/to/alloy-mcp-server]     (default: target/debug/alloy-mcp-server)
#
# Starts the server on a free loopback port with a throw-away data directory, waits for /readyz,
# and runs schemathesis (every default check, all phases including the stateful one driven by the
# document's links) against the document the server serves at /api/openapi.json.
#
# Environment:
#   SCHEMATHESIS_SCHEMA    path or URL of the document to test instead of the served one
#   SCHEMATHESIS_MAX_TIME  time budget of the whole run in seconds (default 180)
#   SCHEMATHESIS_WORKERS   concurrent workers (default 1: Python 3.11, which CI has, can fail inside
#                          hypothesis with workers in threads — see PYTHON below)
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 60)
#   SCHEMATHESIS_SEED      the run's seed (default 1, so that CI runs the same cases every time and
#                          a failure reproduces; `random` explores new cases — do that by hand, and
#                          turn what it finds into fixes)
#   SCHEMATHESIS_ARGS      extra arguments for `schemathesis run`
#   ALLOY_TEST_CACHE       cache folder (default ~/.cache/alloy-mcp-server); the venv lives there
#   PYTHON                 interpreter for the venv (default python3). Python 3.11.7 was seen to fail
#                          inside hypothesis with "SystemError: AST constructor recursion depth
#                          mismatch" (a CPython race in ast.parse under threads); 3.13 does not.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/schemathesis"
BIN="${1:-$ROOT/target/debug/alloy-mcp-server}"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || { echo "run.sh: no server binary at $BIN (build it with cargo build)" >&2; exit 2; }

SCHEMATHESIS_VERSION="$(sed -n 's/^schemathesis==//p' "$HERE/requirements.txt")"
CACHE="${ALLOY_TEST_CACHE:-$HOME/.cache/alloy-mcp-server}"
VENV="$CACHE/schemathesis-venv"
ST="$VENV/bin/schemathesis"
if ! { [ -x "$ST" ] && "$ST" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; }; then
  echo "run.sh: installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
  mkdir -p "$CACHE"
  "${PYTHON:-python3}" -m venv --clear "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
fi

KEY="alloy_schemathesis_key_$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
DATA="$(mktemp -d)"
LOG="$DATA/server.log"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM

# A rate limit far above what the run sends: the 429 paths are documented, but a run that spends
# its time being refused tests nothing else. Everything else is the default configuration (no
# ALLOY_METRICS_TOKEN, so /metrics is open).
RATE_LIMIT_PER_MINUTE=1000000 ALLOY_LOG="${ALLOY_LOG:-warn}" \
  "$BIN" serve --data-dir "$DATA" --bind "127.0.0.1:$PORT" --bootstrap-api-key "$KEY" \
  --upstream-allow 127.0.0.0/8 --body-read-timeout-ms 5000 >"$LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run.sh: the server exited during start-up:" >&2; cat "$LOG" >&2; exit 1
  fi
  sleep 0.1
done
curl -fsS "$BASE/readyz" >/dev/null || { echo "run.sh: $BASE/readyz never answered 200" >&2; cat "$LOG" >&2; exit 1; }

SCHEMA="${SCHEMATHESIS_SCHEMA:-$BASE/api/openapi.json}"
EXTRA=()
if [ -n "${SCHEMATHESIS_SCHEMA:-}" ]; then
  case "$SCHEMA" in http://* | https://*) ;; *) SCHEMA="$(cd "$(dirname "$SCHEMA")" && pwd)/$(basename "$SCHEMA")" ;; esac
  # The document is tested as it is, against this server; a binary older than the route that serves
  # the document cannot answer GET /api/openapi.json, so that one operation is left out then.
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/openapi.json")" = 404 ]; then
    echo "run.sh: this binary does not serve /api/openapi.json yet; leaving out that operation" >&2
    EXTRA+=(--exclude-path /api/openapi.json)
  fi
fi

# Checks: schemathesis 4 runs every check by default; none is excluded. Where a check's notion of
# "valid" cannot be expressed in a static document, schemathesis.toml widens the statuses that
# check accepts for the operations concerned, and says why.
CMD=("$ST" --config-file "$HERE/schemathesis.toml" run "$SCHEMA"
  --url "$BASE"
  --header "Authorization: Bearer $KEY"
  --workers "${SCHEMATHESIS_WORKERS:-1}"
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-60}"
  --max-time "${SCHEMATHESIS_MAX_TIME:-180}"
  --request-timeout 20
  --generation-database none
  "${EXTRA[@]}")
if [ "${SCHEMATHESIS_SEED:-1}" != random ]; then CMD+=(--seed "${SCHEMATHESIS_SEED:-1}"); fi
# shellcheck disable=SC2206 # word splitting of SCHEMATHESIS_ARGS is intended
[ -n "${SCHEMATHESIS_ARGS:-}" ] && CMD+=($SCHEMATHESIS_ARGS)

echo "run.sh: $("$ST" --version) against $("$BIN" --version 2>/dev/null || echo "$BIN") at $BASE"
echo "run.sh: ${CMD[*]/$KEY/<bootstrap key>}"
status=0
# Run from the temporary directory: schemathesis keeps a `.schemathesis` cache in its working directory.
(cd "$DATA" && "${CMD[@]}") || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: schemathesis failed (exit $status); last server log lines:" >&2
  tail -n 20 "$LOG" >&2
fi
exit "$status"
