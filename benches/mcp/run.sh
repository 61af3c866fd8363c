#!/usr/bin/env bash
# Benchmark of the MCP endpoint against a bare hyper server, over loopback, in one run.
#
# Builds alloy-mcp-server and the tools in benches/mcp (release), starts both servers, loads
# each case with the same closed-loop generator and concurrency, and prints requests/s and
# p50/p99 latency:
#   - bare hyper server answering a fixed JSON body (the baseline);
#   - tools/list, 2026-07-28 (stateless: no session, one POST per call);
#   - tools/call list_connectors_alloy, 2026-07-28;
#   - tools/call execute_action_alloy (GitHub issues/create, base URL pointed at the bare
#     server) against POSTing the same request to the bare server directly, at the same
#     concurrency and one at a time: the difference is what the gateway adds.
# Prints figures only; nothing is asserted.
#
# Settings (environment): BENCH_CONCURRENCY (16), BENCH_SECONDS (10 per case),
# BENCH_WARMUP (2), BENCH_AUDIT_ROUNDS (4: rounds of the audit on/off comparison, in the order
# on-off, off-on, …), BENCH_PIN (set to 1: servers on CPU 0, the load generator on CPU 1, so that
# the generator does not compete with the server it measures; needs taskset and 2 CPUs),
# BENCH_SERVER_LOG (alloy-mcp-server's --log filter, default `info`: the
# access log is written as in production, to a file), BENCH_PROFILE (`release`; `dev` only to
# try the script quickly: debug figures mean nothing).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CONCURRENCY="${BENCH_CONCURRENCY:-16}"
SECS="${BENCH_SECONDS:-10}"
WARMUP="${BENCH_WARMUP:-2}"
AUDIT_ROUNDS="${BENCH_AUDIT_ROUNDS:-4}"
SERVER_LOG="${BENCH_SERVER_LOG:-info}"
KEY="alloy_bench_bootstrap_key_0123456789"
TOKEN="ghp_bench0token000000000000000000000000"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${BENCH_PROFILE:-release}"
SERVER_CPU=()
LOAD_CPU=()
if [ -n "${BENCH_PIN:-}" ]; then SERVER_CPU=(taskset -c 0); LOAD_CPU=(taskset -c 1); fi

log() { printf '==> %s\n' "$*" >&2; }

log "building ($PROFILE)"
(cd "$ROOT" && cargo build --profile "$PROFILE" --quiet -p alloy-mcp-server)
cargo build --profile "$PROFILE" --quiet --locked --manifest-path "$ROOT/benches/mcp/Cargo.toml" \
  --target-dir "$TARGET"
if [ "$PROFILE" = dev ]; then BIN="$TARGET/debug"; else BIN="$TARGET/$PROFILE"; fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Waits until $1 has a line matching $2 and prints the first match.
wait_for_line() {
  for _ in $(seq 1 200); do
    if line="$(grep -m1 -E "$2" "$1" 2>/dev/null)"; then printf '%s\n' "$line"; return 0; fi
    sleep 0.05
  done
  echo "timed out waiting for /$2/ in $1:" >&2; cat "$1" >&2; return 1
}

"${SERVER_CPU[@]}" "$BIN/bare_server" >"$WORK/bare.out" 2>&1 &
PIDS+=($!)
BARE="$(wait_for_line "$WORK/bare.out" '^http://')"

# start_alloy VAR NAME ARGS... : starts alloy-mcp-server (its stdout/stderr in $WORK/NAME.*),
# creates a server and a GitHub credential (checked once against the bare server, whose GET
# /user answers 200), and sets VAR to the server's access URL. (Not in a command substitution:
# the server must be a child of this shell, for cleanup.)
start_alloy() {
  local var="$1" name="$2"; shift 2
  "${SERVER_CPU[@]}" "$BIN/alloy-mcp-server" serve \
    --data-dir "$WORK/$name-data" --bind 127.0.0.1:0 --bootstrap-api-key "$KEY" \
    --rate-limit-per-minute 1000000000 --connector-base-urls "github=$BARE" \
    --upstream-allow 127.0.0.0/8 \
    --log "$SERVER_LOG" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
  PIDS+=($!)
  printf -v "${var}_PID" '%s' "$!"
  local base
  base="$(wait_for_line "$WORK/$name.out" 'listening on http://' | sed -E 's/.*listening on (http:[^ ]+).*/\1/')"
  log "$name: alloy-mcp-server $base $*"
  curl -sf -X POST "$base/api/credentials" -H "authorization: Bearer $KEY" \
    -H 'content-type: application/json' \
    -d "{\"connectorId\":\"github\",\"authenticationType\":\"bearer\",\"fields\":{\"token\":\"$TOKEN\"}}" >/dev/null
  local url
  url="$(curl -sf -X POST "$base/api/servers" -H "authorization: Bearer $KEY" \
    -H 'content-type: application/json' -d '{"name":"Benchmark"}' | json_field accessUrl)"
  printf -v "$var" '%s' "$url"
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
log "bare server $BARE"
# The audit trail is on by default; the second server runs without it, for its cost.
start_alloy ACCESS_URL alloy
start_alloy NO_AUDIT_URL no-audit --audit false

META='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}'
LIST_BODY="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{$META}}"
CONNECTORS_BODY="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"list_connectors_alloy\",\"arguments\":{},$META}}"
ISSUE='{"owner":"octocat","repo":"hello-world","title":"Add dark mode"}'
EXECUTE_BODY="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"execute_action_alloy\",\"arguments\":{\"connectorId\":\"github\",\"actionId\":\"issues/create\",\"parameters\":$ISSUE},$META}}"
MCP_HEADERS=(--header 'accept: application/json, text/event-stream'
  --header 'content-type: application/json' --header 'mcp-protocol-version: 2026-07-28')

# CPU time (user + system, in clock ticks) process $1 has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load NAME CONCURRENCY ARGS... : one run, its JSON report appended to $WORK/results; with
# SERVER_PID set, also the CPU ticks that server used during the run (warm-up included).
load() {
  local name="$1" conc="$2"; shift 2
  log "$name (concurrency $conc, ${SECS}s)"
  local out before=0 after=0
  if [ -n "${SERVER_PID:-}" ]; then before="$(cpu_ticks "$SERVER_PID")"; fi
  out="$("${LOAD_CPU[@]}" "$BIN/mcp_load" --concurrency "$conc" --seconds "$SECS" --warmup "$WARMUP" "$@")"
  if [ -n "${SERVER_PID:-}" ]; then after="$(cpu_ticks "$SERVER_PID")"; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$conc" "$out" "$((after - before))" >>"$WORK/results"
}

load bare "$CONCURRENCY" --url "$BARE/" --header 'content-type: application/json' --body "$LIST_BODY" \
  --expect-body '"number":8'
load tools/list "$CONCURRENCY" --url "$ACCESS_URL" "${MCP_HEADERS[@]}" \
  --header 'mcp-method: tools/list' --body "$LIST_BODY" --expect-body '"tools"'
load list_connectors "$CONCURRENCY" --url "$ACCESS_URL" "${MCP_HEADERS[@]}" \
  --header 'mcp-method: tools/call' --header 'mcp-name: list_connectors_alloy' \
  --body "$CONNECTORS_BODY" --expect-body '"connectors"' --reject-body '"isError":true'
# The audit trail's cost: both servers in alternation, the order reversed every round (on-off,
# off-on, on-off, …), so that neither a drift of the machine's speed nor going first weighs on
# one side; each server's own CPU time per request is recorded too.
for round in $(seq 1 "$AUDIT_ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="on off"; else order="off on"; fi
  for case in list execute; do
    for target in $order; do
      if [ "$target" = on ]; then url="$ACCESS_URL"; SERVER_PID="$ACCESS_URL_PID"
      else url="$NO_AUDIT_URL"; SERVER_PID="$NO_AUDIT_URL_PID"; fi
      if [ "$case" = list ]; then
        load "audit_${target}_list_$round" "$CONCURRENCY" --url "$url" "${MCP_HEADERS[@]}" \
          --header 'mcp-method: tools/call' --header 'mcp-name: list_connectors_alloy' \
          --body "$CONNECTORS_BODY" --expect-body '"connectors"' --reject-body '"isError":true'
      else
        load "audit_${target}_execute_$round" "$CONCURRENCY" --url "$url" "${MCP_HEADERS[@]}" \
          --header 'mcp-method: tools/call' --header 'mcp-name: execute_action_alloy' \
          --body "$EXECUTE_BODY" --expect-body '"number":8' --reject-body '"isError":true'
      fi
    done
  done
done
SERVER_PID=
for conc in "$CONCURRENCY" 1; do
  load direct "$conc" --url "$BARE/repos/octocat/hello-world/issues" \
    --header "authorization: Bearer $TOKEN" --header 'content-type: application/json' \
    --body '{"title":"Add dark mode"}' --expect-body '"number":8'
  load execute "$conc" --url "$ACCESS_URL" "${MCP_HEADERS[@]}" \
    --header 'mcp-method: tools/call' --header 'mcp-name: execute_action_alloy' \
    --body "$EXECUTE_BODY" --expect-body '"number":8' --reject-body '"isError":true'
done

python3 - "$WORK/results" "$(nproc)" "$(getconf CLK_TCK)" "$((SECS + WARMUP))" "${BENCH_PIN:-0}" <<'EOF'
import json, statistics, sys

rows = {}
tick_us = 1e6 / int(sys.argv[3])
run_secs = int(sys.argv[4])  # a run's warm-up and measured seconds, when its CPU was counted
for line in open(sys.argv[1]):
    name, conc, report, ticks = line.rstrip("\n").split("\t")
    r = json.loads(report)
    r["cpu_us"] = int(ticks) * tick_us
    rows[(name, int(conc))] = r

pinned = sys.argv[5] == "1"
print(f"\nMCP endpoint benchmark (loopback, " + ("servers on CPU 0, load generator on CPU 1)" if pinned else f"{sys.argv[2]} CPUs shared by servers and load generator)"))
print(f"{'case':<34}{'conc':>5}{'req/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  vs bare")
bare = next(r for (n, _), r in rows.items() if n == "bare")
labels = {
    "bare": "bare hyper, fixed JSON",
    "tools/list": "tools/list (2026-07-28)",
    "list_connectors": "tools/call list_connectors_alloy",
    "direct": "upstream called directly",
    "execute": "tools/call execute_action_alloy",
}
audit = {k: r for k, r in rows.items() if k[0].startswith("audit_")}
rows = {k: r for k, r in rows.items() if not k[0].startswith("audit_")}
for (name, conc), r in rows.items():
    ratio = ""
    if name in ("tools/list", "list_connectors"):
        ratio = f"{r['rps'] / bare['rps']:.2f}x req/s, {r['p50_ms'] / bare['p50_ms']:.1f}x p50"
    print(f"{labels[name]:<34}{conc:>5}{r['rps']:>11.0f}{r['p50_ms']:>9.3f}{r['p99_ms']:>9.3f}{r['errors']:>8}  {ratio}")
    if r["errors"]:
        print(f"    first error: {r['first_error']}")
print("\nexecute_action_alloy over calling the upstream directly:")
for (name, conc), r in rows.items():
    if name == "execute":
        d = rows[("direct", conc)]
        print(f"  concurrency {conc:>3}: +{r['p50_ms'] - d['p50_ms']:.3f} ms p50, "
              f"+{r['p99_ms'] - d['p99_ms']:.3f} ms p99, {r['rps'] / d['rps']:.2f}x req/s")
print(f"\nThe audit trail's cost: tools/call at concurrency {list(audit)[0][1]}, audit on against off, "
      f"{len(audit) // 4} rounds each, alternating (on-off, off-on, ...)")
print("  cost = 1 - (req/s on) / (req/s off); server CPU per request = the server's CPU time during a run")
print("  over req/s x (warm-up + measured seconds)")
for case, label in (("list", "list_connectors_alloy"), ("execute", "execute_action_alloy")):
    def runs(target):
        return [r for (n, _), r in sorted(audit.items()) if n.startswith(f"audit_{target}_{case}_")]
    on, off = runs("on"), runs("off")
    on_rps = statistics.mean(r["rps"] for r in on)
    off_rps = statistics.mean(r["rps"] for r in off)
    per_round = [1 - a["rps"] / b["rps"] for a, b in zip(on, off)]
    def cpu(rs):
        return sum(r["cpu_us"] for r in rs) / sum(r["rps"] * run_secs for r in rs)
    print(f"  {label:<24} on {on_rps:>8.0f} req/s, off {off_rps:>8.0f} req/s: cost {(1 - on_rps / off_rps) * 100:+.1f}% "
          f"(rounds: {', '.join(f'{c * 100:+.1f}%' for c in per_round)}; median {statistics.median(per_round) * 100:+.1f}%)")
    print(f"  {'':<24} server CPU per request: on {cpu(on):.1f} µs, off {cpu(off):.1f} µs "
          f"({(cpu(on) / cpu(off) - 1) * 100:+.1f}%); p99 {statistics.mean(r['p99_ms'] for r in on):.3f} "
          f"vs {statistics.mean(r['p99_ms'] for r in off):.3f} ms")
EOF
